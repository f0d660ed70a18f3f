#!/usr/bin/python3
"""Faults around foreverd: the bus daemon going away, and a full disk under
the state and the log files. (kill -9 and SIGSTOP of foreverd under the real
user manager are in test_systemd_unit.py; kill -9 and restore in
test_state_restore.py.)"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import (Env, Skip, descendants_with_arg, ensure_sandbox,  # noqa: E402
                             pid_alive, run, sandboxed, wait_for)
from state_file import saved_processes  # noqa: E402

ensure_sandbox()


def instances(marker):
    return descendants_with_arg(marker)


def said(*needles):
    """A wait_journal predicate: some entry's MESSAGE contains every needle."""
    return lambda entries: any(all(n in e.get('MESSAGE', '') for n in needles)
                               for e in entries)


def state_dir(env):
    return os.path.join(env.state_home, 'forever')


def saved_uids(env):
    return sorted(p['spec']['uid'] for p in saved_processes(state_dir(env)))


def test_bus_daemon_gone_foreverd_stops_cleanly_and_a_successor_restores():
    with Env(journal=True) as env:
        d = env.start_daemon()
        app = env.fixture('forever_app.js')
        for uid in ('bus-a', 'bus-b'):
            env.ctl('start', '--uid', uid, app, uid)
        before = {p['uid']: p['pid'] for p in env.ctl_json('list')}

        env.dbus_proc.kill()  # the bus daemon dies (or is restarted by its manager)
        env.dbus_proc.wait()
        # Not a silent service nobody can reach: it stops its apps the way a
        # SIGTERM would (the table saved as running) and exits non-zero, so
        # systemd's Restart=on-failure starts a successor.
        assert d.proc.wait(timeout=15) == 3, d.log_tail()
        d.killed = True  # a non-zero exit is what this test wants
        assert not any(pid_alive(p) for p in before.values())
        env.wait_journal(what='the bus loss said',
                         predicate=said('lost the bus connection'))
        assert saved_uids(env) == ['bus-a', 'bus-b']

        env._stop_bus()
        env._start_bus()
        env.start_daemon()
        after = {p['uid']: p for p in env.ctl_json('list')}
        assert sorted(after) == ['bus-a', 'bus-b']
        for uid, p in after.items():
            assert p['state'] == 'running' and p['pid'] != before[uid], p
            time.sleep(0.2)
            assert instances(uid) == [p['pid']], (uid, instances(uid))


def mount_tmpfs(env, path, size):
    if not sandboxed():
        raise Skip('needs the sandbox (root) to mount a small tmpfs')
    os.makedirs(path, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0700' % size, 'tmpfs', path],
                   check=True)
    env.add_cleanup(lambda: subprocess.run(['umount', '-l', path]))


def fill(path):
    """Writes a file until the filesystem is full; returns its path."""
    filler = os.path.join(path, 'filler')
    with open(filler, 'wb', buffering=0) as f:  # unbuffered: close() has nothing left to fail on
        try:
            while True:
                f.write(b'\0' * 65536)
        except OSError:
            pass
    return filler


def test_disk_full_state_and_logs_apps_keep_running_nothing_corrupted():
    with Env(journal=True) as env:
        # State and logs on one 1 MiB tmpfs.
        mount_tmpfs(env, env.state_home, '1m')
        logs = os.path.join(env.state_home, 'logs')
        os.makedirs(logs)
        env.start_daemon()
        app = env.fixture('talker.js')
        env.ctl('start', '--uid', 'early', app)
        good = saved_processes(state_dir(env))
        assert saved_uids(env) == ['early']

        filler = fill(env.state_home)
        out = os.path.join(logs, 'late.log')
        # Starting still works on a full disk (the log file is created, its
        # writes fail), and says nothing false: the app runs.
        env.ctl('start', '--uid', 'late', '-o', out, app)
        late = {p['uid']: p for p in env.ctl_json('list')}['late']
        assert late['state'] == 'running'
        env.wait_journal(what='the failed save reported', timeout=15,
                         predicate=said('cannot save state', 'No space left'))
        env.wait_journal(what='the failed log write reported', timeout=15,
                         predicate=said(out, 'No space left'))
        # The last good state is intact (what was committed reads back the
        # same: a failed append's partial tail is uncommitted, cut off).
        assert saved_processes(state_dir(env)) == good
        assert not [n for n in os.listdir(state_dir(env)) if n.endswith('.tmp')]
        time.sleep(1)
        again = {p['uid']: p for p in env.ctl_json('list')}
        assert again['late']['pid'] == late['pid'] and again['late']['state'] == 'running'
        assert pid_alive(late['pid'])

        os.unlink(filler)
        # The retry saves the table without any new event, and the log file
        # takes lines again, with the number of bytes it missed on record.
        wait_for(lambda: 'late' in saved_uids(env), timeout=10,
                 what='the state saved again once there is room')
        env.wait_journal(what='recovery said', timeout=10,
                         predicate=said('state saved', 'again'))
        env.wait_journal(what='dropped bytes accounted', timeout=10,
                         predicate=said(out, 'bytes of output were dropped'))
        wait_for(lambda: os.path.getsize(out) > 0, what='the log written again')
        with open(out, 'rb') as f:
            assert all(line.endswith(b'\n') or not line for line in f), 'a torn line'


if __name__ == '__main__':
    sys.exit(run())
