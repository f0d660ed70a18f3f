"""Finding processes by a variable of their environment (/proc/PID/environ),
for the scale test and bench/scale.py, whose tiny children carry a marker."""

import os


def live_by_env(name):
    """value -> [pids] of every live (not zombie) process whose environment
    sets NAME, as far as /proc lets us read."""
    out = {}
    prefix = name.encode() + b'='
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % entry, 'rb') as f:
                environ = f.read().split(b'\0')
            with open('/proc/%s/stat' % entry) as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    continue
        except OSError:
            continue
        for variable in environ:
            if variable.startswith(prefix):
                out.setdefault(variable[len(prefix):].decode(), []).append(int(entry))
    return out
