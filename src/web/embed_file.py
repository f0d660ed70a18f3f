#!/usr/bin/env python3
"""Writes a C++ file defining kDashboardHtml/kDashboardHtmlSize from a file."""
import sys

src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
rows = []
for i in range(0, len(data), 24):
    rows.append(','.join(str(b if b < 128 else b - 256) for b in data[i:i + 24]))
with open(out, 'w') as f:
    f.write('// Generated from %s by embed_file.py: do not edit.\n' % src.split('/')[-1])
    f.write('#include "web/dashboard_page.hpp"\n\nnamespace forever::web {\n')
    f.write('const char kDashboardHtml[] = {\n%s,0};\n' % ',\n'.join(rows))
    f.write('const size_t kDashboardHtmlSize = %d;\n}  // namespace forever::web\n' % len(data))
