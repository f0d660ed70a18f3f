#pragma once
// dashboard.html, compiled into the binary (embed_file.py) so the page
// works offline and cannot drift from the server that serves it.
#include <cstddef>

namespace forever::web {
extern const char kDashboardHtml[];
extern const size_t kDashboardHtmlSize;
}  // namespace forever::web
