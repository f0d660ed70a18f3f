#!/usr/bin/python3
"""forever-web figures: its RSS idle and with 100 apps, /metrics latency
with 100 and 1000 apps, the dashboard's size, and foreverd's CPU while 5
SSE viewers watch 100 apps (against none). Prints; asserts nothing.

    FOREVERD=build/src/daemon/foreverd FOREVERCTL=build/src/cli/foreverctl \\
    FOREVER_WEB=build/src/web/forever-web PYTHONPATH=tests/lib \\
    /usr/bin/python3 bench/web.py
"""

import json
import os
import resource
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lib'))

from forever_harness import Env, ensure_sandbox  # noqa: E402
from web_helpers import Web  # noqa: E402

ensure_sandbox()
HZ = os.sysconf('SC_CLK_TCK')


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        return int([ln for ln in f if ln.startswith('VmRSS:')][0].split()[1])


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def start_many(env, n, first):
    sleeper = env.path('sleeper.sh')
    with open(sleeper, 'w') as f:
        f.write('#!/bin/sh\nexec sleep 100000\n')
    os.chmod(sleeper, 0o755)
    config = env.path('many-%d.json' % first)
    with open(config, 'w') as f:
        json.dump([{'uid': 'p%04d' % i, 'script': sleeper, 'silent': True}
                   for i in range(first, first + n)], f)
    env.ctl('start', config, timeout=300)


def metrics_ms(web, rounds=20):
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        status, _, body = web.request('GET', '/metrics')
        times.append((time.monotonic() - t0) * 1000)
        assert status == 200
    return statistics.median(times), len(body)


def watchers(web, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(('127.0.0.1', web.port))
        s.sendall(('GET /api/events HTTP/1.1\r\nHost: %s\r\n\r\n' % web.host).encode())
        s.setblocking(False)
        socks.append(s)
    return socks


def drain(socks):
    for s in socks:
        try:
            while s.recv(1 << 20):
                pass
        except BlockingIOError:
            pass


def daemon_cpu_while(env, d, socks, seconds=20):
    before = cpu_seconds(d.pid)
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        drain(socks)
        time.sleep(0.2)
    return (cpu_seconds(d.pid) - before) / seconds * 100


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, max(hard, 8192)))
    with Env() as env:
        d = env.start_daemon(extra_args=['--sample-interval', '1000'])
        web = Web(env)
        status, _, page = web.request('GET', '/')
        print('dashboard page: %d bytes (one file, no other request)' % len(page))
        web.request('GET', '/metrics')
        time.sleep(1)
        print('forever-web RSS idle: %.1f MiB' % (rss_kib(web.proc.pid) / 1024))
        start_many(env, 100, 0)
        time.sleep(2)
        ms, size = metrics_ms(web)
        print('/metrics with 100 apps: %.1f ms median of 20 (%d bytes)' % (ms, size))
        print('forever-web RSS with 100 apps: %.1f MiB' % (rss_kib(web.proc.pid) / 1024))
        idle = daemon_cpu_while(env, d, [], 20)
        socks = watchers(web, 5)
        watched = daemon_cpu_while(env, d, socks, 20)
        print('foreverd CPU, 100 apps sampled every 1 s: %.2f %% with no viewer, '
              '%.2f %% with 5 SSE viewers' % (idle, watched))
        print('forever-web RSS with 5 viewers: %.1f MiB' % (rss_kib(web.proc.pid) / 1024))
        for s in socks:
            s.close()
        start_many(env, 900, 100)
        time.sleep(3)
        ms, size = metrics_ms(web, 10)
        print('/metrics with 1000 apps: %.1f ms median of 10 (%d bytes)' % (ms, size))
        env.ctl('stopall', timeout=300)


if __name__ == '__main__':
    main()
