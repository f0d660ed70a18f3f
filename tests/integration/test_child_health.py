#!/usr/bin/python3
"""Child health over the sd_notify protocol: each app gets its own
NOTIFY_SOCKET; READY=1 gates "starting" → "running" (--wait-ready), STATUS=
shows in list/status, and without WATCHDOG=1 pings (--watchdog SEC) a hung
or SIGSTOPped app is killed and restarted."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, pid_alive, run, wait_for  # noqa: E402

ensure_sandbox()


def proc(env):
    return env.ctl_json('list')[0]


def replaced(env, first, timeout, what):
    """The listed process once a new run (not `first`, not pid 0) is up."""
    return wait_for(lambda: (lambda q: q if q['pid'] not in (0, first) else None)(proc(env)),
                    timeout=timeout, what=what)


def test_ready_and_status():
    with Env(journal=True) as env:
        env.start_daemon()
        # READY after 1.5 s: "starting" until then.
        env.ctl('start', '--uid', 'slow', '--wait-ready', env.fixture('hang_after_ready.js'),
                1500, 0)
        p = proc(env)
        assert p['state'] == 'starting' and not p['ready'], p
        p = wait_for(lambda: (lambda q: q if q['state'] == 'running' else None)(proc(env)),
                     timeout=10, what='READY=1 to make it running')
        assert p['ready'] and p['statusText'] == 'ready', p
        assert 'ready' in env.ctl('status', 'slow').stdout
        env.wait_journal(FOREVER_UID='slow', FOREVER_EVENT='ready')
        # The variables a supervisor must not leak are still not leaked, but
        # the app's own NOTIFY_SOCKET is there, and is not foreverd's.
        env.ctl('start', '--uid', 'env', '-o', env.path('env.json'), env.fixture('echo_args.js'))
        import json
        info = json.loads(wait_for(lambda: open(env.path('env.json')).readline(), what='env'))
        assert info['env']['NOTIFY_SOCKET'].startswith('@forever/'), info['env']
        assert 'WATCHDOG_USEC' not in info['env']


def test_watchdog_restarts_a_hung_app():
    with Env(journal=True) as env:
        env.start_daemon()
        # Pings 4 times (every 0.5 s with a 1 s watchdog), then hangs.
        env.ctl('start', '--uid', 'hung', '--watchdog', 1, '--minUptime', 0,
                env.fixture('hang_after_ready.js'), 100, 4)
        first = proc(env)['pid']
        time.sleep(1.8)
        assert proc(env)['pid'] == first, 'killed while still pinging'
        p = replaced(env, first, timeout=8, what='the watchdog to replace the hung app')
        assert not pid_alive(first) and p['restarts'] == 1
        entries = env.wait_journal(FOREVER_UID='hung', FOREVER_EVENT='watchdog')
        assert 'no WATCHDOG=1 for 1 s' in entries[0]['MESSAGE'], entries[0]


def test_watchdog_catches_a_stopped_app():
    with Env(journal=True) as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'frozen', '--watchdog', 1, '--minUptime', 0,
                env.fixture('hang_after_ready.js'), 100, 1000)
        first = proc(env)['pid']
        time.sleep(1.5)
        assert proc(env)['pid'] == first
        os.kill(first, signal.SIGSTOP)
        p = replaced(env, first, timeout=8, what='the watchdog to replace the stopped app')
        assert p['exitSignal'] == 'SIGKILL', p
        assert not pid_alive(first)


def test_strangers_cannot_speak_for_an_app():
    with Env() as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'quiet', '--wait-ready', '-o', env.path('q.log'),
                env.fixture('echo_args.js'))
        import json
        info = json.loads(wait_for(lambda: open(env.path('q.log')).readline(), what='output'))
        sock = info['env']['NOTIFY_SOCKET']
        # systemd-notify run by us (not by the app) is ignored.
        env.run(['systemd-notify', '--ready', '--status=forged'],
                extra_env={'NOTIFY_SOCKET': sock}, check=False)
        time.sleep(0.5)
        p = proc(env)
        assert p['state'] == 'starting' and p['statusText'] == '', p


def test_http_health_check_restarts_a_sick_app():
    with Env(journal=True) as env:
        env.start_daemon()
        from forever_harness import free_port
        port = free_port()
        sick = env.path('sick')
        env.ctl('start', '--uid', 'web', '--health-url', 'http://127.0.0.1:%d/health' % port,
                '--health-interval', 1, '--health-failures', 2, env.fixture('health_server.js'),
                port, sick)
        first = proc(env)['pid']
        time.sleep(2.5)  # two healthy checks
        assert proc(env)['pid'] == first and proc(env)['restarts'] == 0
        open(sick, 'w').close()
        p = replaced(env, first, timeout=10, what='the sick app to be restarted')
        os.unlink(sick)
        entries = env.wait_journal(FOREVER_UID='web', FOREVER_EVENT='unhealthy')
        assert '2 failed health checks' in entries[0]['MESSAGE'] and 'HTTP 500' in \
            entries[0]['MESSAGE'], entries[0]
        second = p['pid']
        time.sleep(2.5)
        assert proc(env)['pid'] == second  # healthy again: left alone
        # No answer at all (SIGSTOP) is a failure too.
        os.kill(second, signal.SIGSTOP)
        p = wait_for(lambda: (lambda q: q if q['pid'] not in (0, second) else None)(proc(env)),
                     timeout=20, what='the frozen app to be restarted')
        assert not pid_alive(second) or os.kill(second, signal.SIGCONT)


if __name__ == '__main__':
    sys.exit(run())
