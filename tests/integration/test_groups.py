#!/usr/bin/python3
"""Instance groups: `start -i 4 --uid api` makes api-0..api-3, and "api"
names them all. `reload api` rolls: one member at a time, each old run
stopped only once its new run is ready, so the shared --listen port never
stops answering; a member whose new code crashes ends the roll and says why.
`scale` adds or stops members while the group serves; a foreverd killed
mid-roll is succeeded by exactly N members, none twice."""

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

SERVER = 'reload_server.js'
MAX_REQUESTS = 20000  # the load is bounded even if a test hangs


def get(port, timeout=10):
    with urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=timeout) as r:
        return int(r.read().decode().strip())


class Load:
    """HTTP requests to the port back to back from a thread, each on a new
    connection, at most MAX_REQUESTS: who answered, and what failed."""

    def __init__(self, port):
        self.port = port
        self.pids = []
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        for _ in range(MAX_REQUESTS):
            if self._stop.is_set():
                return
            try:
                self.pids.append(get(self.port))
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                self.errors.append('%s: %s' % (type(e).__name__, e))

    def __enter__(self):
        self._thread.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)

    def check(self, what):
        print('%s: %d requests answered, %d failed' % (what, len(self.pids), len(self.errors)))
        assert len(self.pids) > 20, 'the load barely ran: %d answers' % len(self.pids)
        assert not self.errors, '%d requests failed during %s: %s' % (
            len(self.errors), what, self.errors[:3])


def members(env, group='api'):
    return {p['uid']: p for p in env.ctl_json('list') if p['group'] == group}


def serving(env, n, group='api'):
    m = members(env, group)
    if len(m) == n and all(p['state'] == 'running' and p['ready'] for p in m.values()):
        return m
    return None


def start_group(env, port, n=4, delay=300):
    control = env.path('control')
    os.makedirs(control, exist_ok=True)
    env.ctl('start', '-i', n, '--uid', 'api', '--listen', '127.0.0.1:%d' % port, '--wait-ready',
            '--reloadTimeout', 5000, env.fixture(SERVER), delay, control)
    return wait_for(lambda: serving(env, n), timeout=20, what='%d members serving' % n), control


def test_rolling_reload_under_load_changes_every_pid_once_and_fails_nothing():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        before, _ = start_group(env, port)
        with Load(port) as load:
            out = env.ctl('reload', 'api', timeout=60).stdout
        load.check('a rolling reload of 4 members')
        after = serving(env, 4)
        assert after, members(env)
        for uid in before:
            assert after[uid]['pid'] != before[uid]['pid'], (uid, before[uid], after[uid])
            assert after[uid]['restarts'] == 1, after[uid]  # replaced exactly once
            assert not pid_alive(before[uid]['pid'])
            reloads = env.wait_journal(FOREVER_UID=uid, FOREVER_EVENT='reload')
            assert len(reloads) == 1, reloads
        # One member at a time, in order, each step printed as it happened.
        lines = [line for line in out.splitlines() if line.startswith('api-')]
        expected = []
        for i in range(4):
            expected += ['api-%d: reloading' % i, 'api-%d: reloaded' % i]
        assert [line.split(' (')[0] for line in lines] == expected, out
        # Only the runs that were current answered.
        every = {p['pid'] for p in before.values()} | {p['pid'] for p in after.values()}
        assert set(load.pids) <= every, set(load.pids) - every


def test_a_member_whose_new_code_crashes_stops_the_roll_and_nothing_fails():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        before, control = start_group(env, port)
        open(os.path.join(control, 'crash-2'), 'w').close()
        with Load(port) as load:
            r = env.ctl('reload', 'api', timeout=60, check=False)
        load.check('a roll that fails at api-2')
        assert r.returncode == 1, r
        assert 'api-2: the new run exited with exit code 1' in r.stderr, r.stderr
        assert 'crashing at start' in r.stderr, r.stderr  # its last log lines
        after = serving(env, 4)
        assert after, members(env)
        for uid in ('api-0', 'api-1'):
            assert after[uid]['pid'] != before[uid]['pid'], uid
        for uid in ('api-2', 'api-3'):  # the roll stopped: old runs keep serving
            assert after[uid]['pid'] == before[uid]['pid'], uid
        assert 'api-3: reloading' not in r.stdout, r.stdout


def test_parallel_roll_and_restart_stop_status_of_the_group():
    with Env(journal=True) as env:
        env.start_daemon()
        port = free_port()
        before, _ = start_group(env, port, delay=0)
        with Load(port) as load:
            env.ctl('reload', 'api', '--parallel', 2, timeout=60)
        load.check('a roll two at a time')
        rolled = serving(env, 4)
        assert all(rolled[u]['pid'] != before[u]['pid'] for u in before)
        # Every TARGET verb takes the group; a member uid or index means one.
        assert sorted(p['uid'] for p in env.ctl_json('list', 'api')) == sorted(before)
        assert 'api-3' in env.ctl('status', 'api').stdout
        # logs GROUP interleaves every member's output from the journal.
        logs = env.ctl('logs', 'api', '-n', 40).stdout
        assert len({line.split()[-1] for line in logs.splitlines()
                    if 'listening' in line}) >= 4, logs
        env.ctl('restart', 'api')
        again = wait_for(lambda: serving(env, 4), what='the group back after restart')
        assert all(again[u]['pid'] != rolled[u]['pid'] for u in before)
        env.ctl('stop', 'api-1')
        assert sorted(members(env)) == ['api-0', 'api-2', 'api-3']
        assert sorted(env.ctl('stop', 'api').stdout.split()) != []
        assert env.ctl_json('list') == []


def test_names_that_would_be_ambiguous_are_refused():
    with Env(journal=True) as env:
        env.start_daemon()
        app = env.fixture('forever_app.js')
        env.ctl('start', '--uid', 'web', app)
        r = env.ctl('start', '-i', 2, '--uid', 'web', app, check=False)
        assert r.returncode != 0 and "'web' is already the uid of a process" in r.stderr, r
        env.ctl('start', '-i', 2, '--uid', 'api', app)
        r = env.ctl('start', '--uid', 'api', app, check=False)
        assert r.returncode != 0 and "'api' is the name of a group" in r.stderr, r
        assert sorted(p['uid'] for p in env.ctl_json('list')) == ['api-0', 'api-1', 'web']


def test_scale_up_and_down_while_serving_and_persisted():
    with Env(journal=True) as env:
        d = env.start_daemon()
        port = free_port()
        start_group(env, port, n=2, delay=0)
        with Load(port) as load:
            out = env.ctl('scale', 'api', 5).stdout
            assert 'api-2' in out and 'api-4' in out, out
            wait_for(lambda: serving(env, 5), what='5 members serving')
            env.ctl('scale', 'api', '-2')
            wait_for(lambda: serving(env, 3), what='3 members serving')
            env.ctl('scale', 'api', '+1')
            wait_for(lambda: serving(env, 4), what='4 members serving')
        load.check('scale 2 → 5 → 3 → 4')
        m = members(env)
        assert sorted(m) == ['api-0', 'api-1', 'api-2', 'api-3'], sorted(m)
        instance = open('/proc/%d/environ' % m['api-3']['pid'], 'rb').read().split(b'\0')
        assert b'FOREVER_INSTANCE=3' in instance
        r = env.ctl('scale', 'api', '-4', check=False)
        assert r.returncode != 0 and 'at least one member' in r.stderr, r
        # Persisted like every change: a new foreverd restores 4 members.
        assert d.stop() == 0
        env.start_daemon()
        assert wait_for(lambda: serving(env, 4), timeout=20, what='4 members restored')


def test_foreverd_killed_mid_roll_leaves_exactly_n_members():
    with Env(journal=True) as env:
        d = env.start_daemon()
        port = free_port()
        start_group(env, port, delay=800)
        roll = env.popen([os.environ['FOREVERCTL'], 'reload', 'api'],
                         stdout=open(os.devnull, 'w'), stderr=open(os.devnull, 'w'))
        # In the middle: api-1's new run is booting beside its old one.
        env.wait_journal(FOREVER_UID='api-0', FOREVER_EVENT='reload', timeout=20,
                         what='the roll past api-0')
        time.sleep(0.3)
        d.kill9()
        roll.wait(20)
        env.start_daemon()
        after = wait_for(lambda: serving(env, 4), timeout=20, what='4 members after the successor')
        time.sleep(1.5)  # leftovers of the killed daemon's life are stopped by now
        servers = descendants_with_arg(env.fixture(SERVER))
        assert sorted(servers) == sorted(p['pid'] for p in after.values()), (servers, after)
        assert get(port) in servers


if __name__ == '__main__':
    sys.exit(run())
