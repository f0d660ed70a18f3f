#!/usr/bin/python3
"""`reload TARGET`: the new run starts beside the old one, which is stopped
only once the new one is ready, so the app's port never stops answering.
The port is bound once by foreverd (--listen) and passed to every run as
fd 3, so both runs accept from it. A new run that dies or is never ready is
stopped and the old one keeps serving; the reload fails with the reason."""

import os
import signal
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import (Env, descendants_with_arg, ensure_sandbox, free_port,  # noqa: E402
                             pid_alive, run, wait_for)

ensure_sandbox()


def proc(env, uid):
    return next(p for p in env.ctl_json('list') if p['uid'] == uid)


def get(port, timeout=2):
    with urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=timeout) as r:
        return int(r.read().decode().strip())


MAX_PROBES = 50000


class Prober:
    """Requests the port back to back, each on a new connection, from a
    thread: what answered (pids) and what failed (the errors)."""

    def __init__(self, port):
        self.port = port
        self.pids = []
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        for _ in range(MAX_PROBES):  # bounded even if a test hangs
            if self._stop.is_set():
                return
            try:
                self.pids.append(get(self.port))
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                self.errors.append('%s: %s' % (type(e).__name__, e))
                time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


def test_reload_never_stops_answering():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        # A slow boot (0.7 s before it listens and sends READY=1): a restart
        # would leave the port unanswered that long.
        env.ctl('start', '--uid', 'web', '--listen', '127.0.0.1:%d' % port, '--wait-ready',
                env.fixture('reload_server.js'), 700, env.path('control'))
        first = wait_for(lambda: proc(env, 'web')['state'] == 'running' and proc(env, 'web'),
                         what='web to be ready')
        assert get(port) == first['pid']
        pids = [first['pid']]
        with Prober(port) as prober:
            time.sleep(0.3)
            for n in range(3):
                t0 = time.monotonic()
                out = env.ctl('reload', 'web').stdout
                took = time.monotonic() - t0
                assert out.strip() == 'reloaded web', out
                assert took >= 0.6, 'replied before the new run was ready (%.2fs)' % took
                p = proc(env, 'web')
                assert p['pid'] not in pids and p['state'] == 'running', p
                assert p['restarts'] == n + 1, p
                pids.append(p['pid'])
                wait_for(lambda: not pid_alive(pids[-2]), what='the old run to exit')
                time.sleep(0.3)
        print('3 reloads: %d requests answered, %d failed, by %d runs' % (
            len(prober.pids), len(prober.errors), len(set(prober.pids))))
        assert len(prober.pids) > 100, 'the prober barely ran: %d answers' % len(prober.pids)
        assert not prober.errors, '%d of %d requests failed: %s' % (
            len(prober.errors), len(prober.errors) + len(prober.pids), prober.errors[:3])
        # Every run answered while it was current, and nothing else did.
        assert set(pids) <= set(prober.pids) | {pids[0]}, (pids, set(prober.pids))
        assert set(prober.pids) <= set(pids), (pids, set(prober.pids))
        entries = env.wait_journal(FOREVER_UID='web', FOREVER_EVENT='reload')
        assert 'READY=1' in entries[0]['MESSAGE'], entries[0]
        # The socket is foreverd's: the app got it as fd 3, named.
        environ = open('/proc/%d/environ' % pids[-1], 'rb').read().split(b'\0')
        assert b'LISTEN_FDS=1' in environ and b'LISTEN_PID=%d' % pids[-1] in environ, environ


def test_prober_sees_a_restart_gap():
    """The control: the same app binding the port itself, restarted: the
    prober does see refused connections (so it would see them in a reload)."""
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        env.ctl('start', '--uid', 'plain', '--wait-ready', env.fixture('reload_server.js'), 300,
                env.path('control'), extra_env={'PORT': str(port)})
        wait_for(lambda: proc(env, 'plain')['state'] == 'running', what='plain to be ready')
        with Prober(port) as prober:
            time.sleep(0.2)
            env.ctl('restart', 'plain')
            wait_for(lambda: proc(env, 'plain')['state'] == 'running', what='plain again')
            time.sleep(0.2)
        print('restart (control): %d requests answered, %d failed' % (
            len(prober.pids), len(prober.errors)))
        assert prober.errors, 'a restart with a 0.3 s boot went unnoticed'
        assert any('refused' in e for e in prober.errors), prober.errors[:3]


def test_a_broken_new_run_leaves_the_old_one_serving():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        control = env.path('control')
        os.makedirs(control)
        env.ctl('start', '--uid', 'web', '--listen', str(port), '--wait-ready',
                '--reloadTimeout', 1500, env.fixture('reload_server.js'), 0, control)
        old = wait_for(lambda: proc(env, 'web')['state'] == 'running' and proc(env, 'web'),
                       what='web to be ready')['pid']
        # The new code crashes at start.
        open(os.path.join(control, 'crash'), 'w').close()
        r = env.ctl('reload', 'web', check=False)
        assert r.returncode == 1 and 'web: the new run exited with exit code 1' in r.stderr, r
        p = proc(env, 'web')
        assert p['pid'] == old and p['state'] == 'running' and p['restarts'] == 0, p
        assert get(port) == old
        env.wait_journal(FOREVER_UID='web', FOREVER_EVENT='reload-failed')
        # The new code never gets ready: stopped after reloadTimeout.
        os.remove(os.path.join(control, 'crash'))
        open(os.path.join(control, 'never-ready'), 'w').close()
        t0 = time.monotonic()
        r = env.ctl('reload', 'web', check=False)
        assert r.returncode == 1 and 'not ready within 1500 ms' in r.stderr, r
        assert time.monotonic() - t0 >= 1.4
        wait_for(lambda: descendants_with_arg(control) == [old],
                 what='the never-ready run to be stopped')
        p = proc(env, 'web')
        assert p['pid'] == old and p['state'] == 'running', p
        assert get(port) == old
        # Fixed code: the reload goes through.
        os.remove(os.path.join(control, 'never-ready'))
        env.ctl('reload', 'web')
        new = proc(env, 'web')['pid']
        assert new != old and get(port) == new
        wait_for(lambda: not pid_alive(old), what='the old run to exit')


def test_reload_without_readiness_waits_min_uptime():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        env.ctl('start', '--uid', 'web', '--listen', '127.0.0.1:%d' % port, '--minUptime', 800,
                env.fixture('reload_server.js'), 0, env.path('control'))
        old = wait_for(lambda: proc(env, 'web')['pid'], what='web')
        wait_for(lambda: get(port) == old, what='web to answer')
        t0 = time.monotonic()
        env.ctl('reload', 'web')
        assert time.monotonic() - t0 >= 0.75
        new = proc(env, 'web')['pid']
        assert new != old
        entries = env.wait_journal(FOREVER_UID='web', FOREVER_EVENT='reload')
        assert 'stayed up for 800 ms' in entries[0]['MESSAGE'], entries[0]
        wait_for(lambda: not pid_alive(old), what='the old run to exit')
        assert get(port) == new


def test_stop_or_death_during_a_reload():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        env.ctl('start', '--uid', 'web', '--listen', str(port), '--wait-ready',
                env.fixture('reload_server.js'), 1500, env.path('control'))
        old = wait_for(lambda: proc(env, 'web')['state'] == 'running' and proc(env, 'web'),
                       what='web to be ready', timeout=15)['pid']
        # The old run dies while the new one boots: the new one takes over
        # (no third run from a crash restart), and the reload succeeds.
        reload = env.popen([os.environ['FOREVERCTL'], 'reload', 'web'], stdout=-1)
        wait_for(lambda: proc(env, 'web')['state'] == 'reloading', what='reloading')
        os.kill(old, signal.SIGKILL)
        assert reload.wait(15) == 0
        p = proc(env, 'web')
        assert p['pid'] != old and p['restarts'] == 1, p
        procs = descendants_with_arg(env.path('control'))
        assert procs == [p['pid']], (procs, p)
        second = p['pid']
        wait_for(lambda: get(port) == second, what='the new run to answer', timeout=15)
        # A stop during a reload stops both runs, and the reload says why.
        reload = env.popen([os.environ['FOREVERCTL'], 'reload', 'web'], stderr=-1, text=True)
        wait_for(lambda: proc(env, 'web')['state'] == 'reloading', what='reloading')
        env.ctl('stop', 'web')
        assert reload.wait(15) == 1
        assert 'being stopped' in reload.stderr.read()
        wait_for(lambda: descendants_with_arg(env.path('control')) == [],
                 what='both runs to be gone')
        assert env.ctl_json('list') == []


def test_foreverd_killed_during_a_reload():
    """kill -9 of foreverd mid-reload leaves two runs; the next foreverd
    stops both (the saved state names the incoming one too) and runs one."""
    with Env(journal=True) as env:
        d = env.start_daemon()
        port = free_port()
        control = env.path('control')
        env.ctl('start', '--uid', 'web', '--listen', str(port), '--wait-ready',
                env.fixture('reload_server.js'), 5000, control)
        old = wait_for(lambda: proc(env, 'web')['state'] == 'running' and proc(env, 'web'),
                       what='web to be ready', timeout=15)['pid']
        reload = env.popen([os.environ['FOREVERCTL'], 'reload', 'web'], stdout=-1, stderr=-1)
        wait_for(lambda: len(descendants_with_arg(control)) == 2, what='the second run')
        both = descendants_with_arg(control)
        d.kill9()
        reload.wait(10)
        assert all(pid_alive(pid) for pid in both), both
        env.start_daemon()
        p = proc(env, 'web')
        wait_for(lambda: not any(pid_alive(pid) for pid in both), timeout=5,
                 what='both runs of the killed foreverd to be gone')
        assert old in both and descendants_with_arg(control) == [p['pid']], (both, p)


def test_instances_share_one_listening_socket():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        env.ctl('start', '--uid', 'web', '-i', 2, '--listen', '127.0.0.1:%d' % port,
                '--wait-ready', env.fixture('reload_server.js'), 0, env.path('control'))
        procs = wait_for(lambda: (lambda ps: ps if all(p['state'] == 'running' for p in ps)
                                  and len(ps) == 2 else None)(env.ctl_json('list')),
                         what='both instances running')
        assert sorted(p['uid'] for p in procs) == ['web-0', 'web-1'], procs
        seen = {get(port) for _ in range(60)}
        assert seen <= {p['pid'] for p in procs} and seen, seen
        # Another program on that port is refused at start, with the reason.
        r = env.ctl('start', '--uid', 'other', '--listen', '127.0.0.1:%d' % port,
                    env.fixture('echo_args.js'), check=False)
        assert r.returncode == 1 and 'Address already in use' in r.stderr, r
        assert 'cannot listen on 127.0.0.1:%d' % port in r.stderr, r
        r = env.ctl('start', '--listen', 'localhost:80', env.fixture('echo_args.js'), check=False)
        assert r.returncode == 1 and 'not an IPv4 address' in r.stderr, r
        # Reloading the script reloads each instance; they keep sharing.
        out = env.ctl('reload', 'reload_server.js').stdout
        assert out.split() == ['reloaded', 'web-0', 'reloaded', 'web-1'], out
        after = {p['pid'] for p in env.ctl_json('list')}
        assert not after & {p['pid'] for p in procs}, after
        seen = {get(port) for _ in range(60)}
        assert seen <= after and seen, (seen, after)


if __name__ == '__main__':
    sys.exit(run())
