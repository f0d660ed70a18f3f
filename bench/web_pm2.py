#!/usr/bin/python3
"""pm2's side of bench/web.py: pm2's web interface (pm2 7.0.4 installed with npm
into a temporary directory, as bench/run.py does, never globally) with 100
apps: RSS of its HTTP interface, latency and size of its JSON endpoint
(pm2's only web/metrics output; it has no Prometheus exposition). pm2 7
has no `pm2 web` command any more: its lib/HttpInterface.js, which that
command started, is started as the pm2 app it was. Bound to
127.0.0.1 (PM2_API_IPADDR) on a free port. Prints; asserts nothing; stops
everything it started (pm2 delete all, pm2 kill) and removes its directory.

    /usr/bin/python3 bench/web_pm2.py
"""

import http.client
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run as bench  # noqa: E402  (bench/run.py: npm_install, Pm2Npm, rss)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def get(port, path='/'):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        c.request('GET', path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def listening_pid(port):
    """The pid whose socket listens on 127.0.0.1:port (from /proc)."""
    inode = None
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == '0A' and int(local.split(':')[1], 16) == port:
                if local.split(':')[0] != '0100007F':
                    raise SystemExit('pm2 web is not bound to 127.0.0.1 (%s): stopping' % local)
                inode = fields[9]
    for pid in bench.all_pids():
        try:
            for fd in os.listdir('/proc/%d/fd' % pid):
                if os.readlink('/proc/%d/fd/%s' % (pid, fd)) == 'socket:[%s]' % inode:
                    return pid
        except OSError:
            continue
    return None


def main():
    root = tempfile.mkdtemp(prefix='forever-bench-web-pm2-')
    pm2 = None
    try:
        prefix = os.path.join(root, 'npm')
        failure = bench.npm_install(root, prefix, ['pm2@' + bench.PM2_VERSION])
        if failure:
            print('npm install failed: no pm2 figures\n' + failure)
            return
        app = os.path.join(root, 'app.js')
        with open(app, 'w') as f:
            f.write(bench.APP)
        pm2 = bench.Pm2Npm(root, prefix)
        port = free_port()
        pm2.env.update(PM2_API_IPADDR='127.0.0.1', PM2_API_PORT=str(port), PM2_WEB_PORT=str(port))
        for i in range(100):
            pm2.start(app, 'web-%d' % i)
        # pm2 7 dropped the `pm2 web` command but still ships what it ran:
        # started here exactly as pm2 5 did (a pm2 app named so).
        interface = os.path.join(pm2.pkg_dir, 'pm2', 'lib', 'HttpInterface.js')
        r = pm2.run(os.path.join(pm2.bin, 'pm2'), 'start', interface, '--name',
                    'pm2-http-interface', check=False)
        if r.returncode != 0:
            print('pm2 web interface failed (exit %d): no pm2 web figures\n%s%s'
                  % (r.returncode, r.stdout[-1500:], r.stderr[-1500:]))
            return
        if not bench.wait_until(lambda: listening_pid(port), 30, 0.1):
            print('pm2 web did not listen on 127.0.0.1:%d' % port)
            return
        pid = listening_pid(port)
        time.sleep(2)
        status, body = get(port)
        times = []
        for _ in range(20):
            t0 = time.monotonic()
            status, body = get(port)
            times.append((time.monotonic() - t0) * 1000)
        print('pm2 %s HttpInterface (pm2 web), 100 apps: GET / (JSON) %.1f ms median of 20 (%d bytes, status %d)'
              % (bench.PM2_VERSION, statistics.median(times), len(body), status))
        print('pm2 web (pm2-http-interface) RSS with 100 apps: %.1f MiB'
              % (bench.rss(pid) / 1048576))
    finally:
        if pm2:
            pm2.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
