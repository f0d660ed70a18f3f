#!/usr/bin/python3
"""forever-web's door: actions need the token (401 without, 403 wrong),
foreign Host/Origin are refused, GET cannot act, oversized, malformed and
slow requests get a 4xx or are cut off while other clients keep being
served; the token file is 0600."""

import json
import os
import socket
import stat
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, free_port, run, wait_for  # noqa: E402
from web_helpers import Web, first_pid  # noqa: E402

ensure_sandbox()


def start(env):
    env.start_daemon()
    env.ctl('start', '--uid', 'app', env.fixture('forever_app.js'))
    wait_for(lambda: first_pid(env, 'app'), what='app running')
    return Web(env)


def test_token_file_and_actions():
    with Env() as env:
        web = start(env)
        mode = stat.S_IMODE(os.stat(web.token_path).st_mode)
        assert mode == 0o600, oct(mode)
        assert len(web.token) == 64
        pid = first_pid(env, 'app')
        status, headers, _ = web.act('app', 'restart', token='')
        assert status == 401 and 'Bearer' in headers.get('WWW-Authenticate', ''), status
        status, _, _ = web.act('app', 'restart', token='0' * 64)
        assert status == 403, status
        # No action through GET, token or not.
        status, _, _ = web.request('GET', '/api/processes/app/restart',
                                   headers={'Authorization': 'Bearer ' + web.token})
        assert status == 405, status
        assert first_pid(env, 'app') == pid, 'a refused request acted'
        status, _, body = web.act('app', 'restart')
        assert status == 200, (status, body)
        new = wait_for(lambda: first_pid(env, 'app') not in (None, pid) and first_pid(env, 'app'),
                       what='new pid after restart')
        assert new != pid
        status, _, _ = web.act('nosuch', 'stop')
        assert status == 404, status


def test_host_and_origin():
    with Env() as env:
        web = start(env)
        auth = {'Authorization': 'Bearer ' + web.token}
        for host in ('evil.example', 'evil.example:%d' % web.port, '127.0.0.1:1'):
            status, _, _ = web.request('GET', '/api/processes', headers={'Host': host})
            assert status == 403, (host, status)
        status, _, _ = web.request('GET', '/api/processes',
                                   headers={'Host': 'localhost:%d' % web.port})
        assert status == 200, status
        pid = first_pid(env, 'app')
        for origin in ('http://evil.example', 'null', 'https://127.0.0.1:%d' % web.port):
            status, _, _ = web.request('POST', '/api/processes/app/stop',
                                       headers=dict(auth, Origin=origin))
            assert status == 403, (origin, status)
        assert first_pid(env, 'app') == pid
        status, _, _ = web.request('POST', '/api/processes/app/restart',
                                   headers=dict(auth, Origin='http://' + web.host), timeout=60)
        assert status == 200, status


def test_bad_input_is_refused_and_service_keeps_answering():
    with Env() as env:
        web = start(env)
        for path, want in (('/nope', 404), ('/api/processes/../../etc/passwd', 400),
                           ('/api/processes/%2e%2e', 400), ('/api/processes/a%0ab', 400),
                           ('/api/processes/app/bogus', 404), ('/api/processes/app/logs?n=x', 400),
                           ('/api/processes/nosuch', 404)):
            status, _, _ = web.request('GET', path)
            assert status == want, (path, status, want)
        # Headers beyond the per-connection memory bound (32 KiB): a 4xx, or
        # for a flood the connection cut; never memory in proportion.
        # (MHD 0.9.75 in external-epoll mode only judges such a connection at
        # its idle timeout: the 431 comes after up to 15 s, printed here.)
        t0 = time.monotonic()
        status, _, _ = web.request('GET', '/metrics', headers={'X-Big': 'a' * 40000}, timeout=30)
        assert status == 431, status
        print('oversized header: 431 after %.1f s' % (time.monotonic() - t0))
        reply = web.raw(b'GET / HTTP/1.1\r\nHost: ' + web.host.encode() +
                        b'\r\nX-Big: ' + b'a' * 2000000 + b'\r\n\r\n')
        assert reply == b'' or reply.startswith(b'HTTP/1.1 4'), reply[:80]
        # Huge body on an action: 413 before it is read.
        status, _, _ = web.request('POST', '/api/processes/app/stop',
                                   headers={'Authorization': 'Bearer ' + web.token},
                                   body=b'x' * 100000)
        assert status == 413, status
        assert first_pid(env, 'app')
        # Garbage instead of HTTP.
        reply = web.raw(b'\x00\x01\x02 not http at all\r\n\r\n')
        assert reply == b'' or reply.startswith(b'HTTP/1.1 400'), reply[:80]
        # Slowloris: clients that send half a request and stall. The service
        # answers others meanwhile, and cuts them off (15 s idle timeout).
        stalled = []
        for _ in range(20):
            s = socket.create_connection(('127.0.0.1', web.port))
            s.sendall(b'GET / HTTP/1.1\r\nHost: ' + web.host.encode() + b'\r\nX-Slow: ')
            stalled.append(s)
        t0 = time.monotonic()
        status, _, _ = web.request('GET', '/api/processes')
        assert status == 200, status
        print('answered beside 20 stalled clients in %.1f ms' % ((time.monotonic() - t0) * 1000))
        s = stalled[0]
        s.settimeout(30)
        t0 = time.monotonic()
        closed = s.recv(100)
        print('stalled client cut off after %.1f s (%r)' % (time.monotonic() - t0, closed[:40]))
        for s in stalled:
            s.close()
        assert web.proc.poll() is None, 'forever-web died'
        status, _, _ = web.request('GET', '/metrics')
        assert status == 200, status


def test_foreverctl_web_prints_a_url_whose_token_acts():
    with Env() as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'app', env.fixture('forever_app.js'))
        pid = wait_for(lambda: first_pid(env, 'app'), what='app running')
        port = free_port()
        # Before forever-web ever ran: foreverctl makes the token, and
        # forever-web then uses that same one.
        url = env.ctl('web', '127.0.0.1:%d' % port).stdout.strip()
        prefix = 'http://127.0.0.1:%d/#token=' % port
        assert url.startswith(prefix), url
        token = url[len(prefix):]
        web = Web(env, port=port)
        assert web.token == token, (web.token, token)
        assert env.ctl('web', '127.0.0.1:%d' % port).stdout.strip() == url
        status, _, body = web.act('app', 'restart', token=token)
        assert status == 200, (status, body)
        wait_for(lambda: first_pid(env, 'app') not in (None, pid), what='new pid after restart')
        # The default address is the socket unit's; --json says where the token is.
        shown = json.loads(env.ctl('web', '--json').stdout)
        assert shown['url'] == 'http://127.0.0.1:9615/#token=' + token, shown
        assert shown['tokenFile'] == web.token_path, shown
        # --open without xdg-open: one line, exit 1, after printing the URL.
        r = env.ctl('web', '--open', '127.0.0.1:%d' % port, check=False,
                    extra_env={'PATH': env.path('empty-path')})
        assert r.returncode == 1 and r.stdout.strip() == url, (r.returncode, r.stdout)
        assert len(r.stderr.strip().splitlines()) == 1 and 'xdg-open' in r.stderr, r.stderr
        r = env.ctl('web', 'not-an-address', check=False)
        assert r.returncode == 2, (r.returncode, r.stderr)


def follow_log(web, uid, n=5):
    """Events of logs?follow=1 until a "line" event ticks past the tail."""
    def until(events):
        return any(name == 'line' for name, _ in events[1:])
    events = web.sse('/api/processes/%s/logs?n=%d&follow=1' % (uid, n), until)
    assert events and events[0][0] == 'lines', events[:3]
    tail = [line['message'] for line in json.loads(events[0][1])['lines']]
    new = [json.loads(data)['message'] for name, data in events[1:] if name == 'line']
    assert len(tail) <= n and new, (tail, new)
    return tail, new


def test_logs_follow_streams_new_lines_from_file_and_journal():
    with Env(journal=True) as env:
        env.start_daemon()
        log = env.path('talker.log')
        env.ctl('start', '--uid', 'filed', '-l', log, env.fixture('talker.js'), '2')
        env.ctl('start', '--uid', 'journaled', env.fixture('talker.js'), '2')
        wait_for(lambda: first_pid(env, 'filed') and first_pid(env, 'journaled'),
                 what='apps running')
        web = Web(env)
        for uid in ('filed', 'journaled'):
            wait_for(lambda: any('tick' in line['message'] for line in
                                 web.get_json('/api/processes/%s/logs?n=3' % uid)['lines']),
                     what='%s ticking' % uid)
            t0 = time.monotonic()
            tail, new = follow_log(web, uid)
            print('%s: first followed line after %.0f ms' % (uid, (time.monotonic() - t0) * 1000))
            ticks = [int(m.split()[-1]) for m in tail + new if m.startswith('tick ')]
            assert ticks and all(m.startswith('tick ') for m in new), (tail, new)
            assert max(ticks) > max(int(m.split()[-1]) for m in tail if m.startswith('tick ')), \
                (tail, new)
        # Two viewers share one watcher; both see lines, and when they have
        # gone, the service still answers (the watcher went with them).
        assert follow_log(web, 'filed')[1] and follow_log(web, 'filed')[1]
        status, _, _ = web.request('GET', '/api/processes/filed/logs?n=0&follow=1')
        assert status == 400, status
        assert web.proc.poll() is None, 'forever-web died'
        assert web.get_json('/api/processes')


if __name__ == '__main__':
    sys.exit(run())
