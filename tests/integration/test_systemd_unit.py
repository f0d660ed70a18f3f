#!/usr/bin/python3
"""foreverd under a real `systemd --user`: units/forever.service (Type=notify,
BusName=, WatchdogSec=, Restart=on-failure, KillMode=mixed), D-Bus activation,
apps in the unit's cgroup, kill -9 / stop / restart of the daemon, and the
watchdog catching a frozen daemon."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, pid_alive, run, wait_for  # noqa: E402
from user_manager import UserManager, private_manager_with_forever  # noqa: E402

ensure_sandbox()

UNIT = 'forever.service'


def node_pids_in(um, script):
    out = []
    for pid in um.cgroup_pids():
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                if script.encode() in f.read().split(b'\0'):
                    out.append(pid)
        except OSError:
            pass
    return sorted(out)


def running(env):
    return {p['uid']: p for p in env.ctl_json('list') if p['state'] == 'running' and p['pid']}


def test_start_readiness_introspection_and_cgroup():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', UNIT)  # returns once READY=1 arrived (Type=notify)
        assert um.active_state(UNIT) == 'active'
        # READY=1 is only sent once the name and objects exist: at this very
        # moment the API must answer.
        intro = env.run(['busctl', '--user', 'introspect', 'org.forever.Forever1',
                         '/org/forever/Forever1']).stdout
        for member in ('org.forever.Forever1.Manager', '.Start', '.List', '.Stop', '.Restart',
                       '.StopAll', '.RestartAll', '.StopByPid', '.CleanLogs', '.ProcessExited',
                       'org.freedesktop.DBus.ObjectManager'):
            assert member in intro, (member, intro)
        assert 'processes running' in um.show(UNIT, 'StatusText')
        assert um.show(UNIT, 'NotifyAccess') == 'main'

        app = env.fixture('forever_app.js')
        env.ctl('start', '--uid', 'web', app)
        p = running(env)['web']
        cg = UserManager.cgroup_of(p['pid'])
        assert cg.endswith('/app.slice/forever.service'), cg
        wait_for(lambda: um.show(UNIT, 'StatusText') == '1 of 1 processes running',
                 what='STATUS= to count the app')
        # A stopped app leaves the count at once (it was counted while it
        # was still leaving the table).
        env.ctl('start', '--uid', 'other', app)
        wait_for(lambda: um.show(UNIT, 'StatusText') == '2 of 2 processes running',
                 what='STATUS= to count both apps')
        env.ctl('stop', 'other')
        wait_for(lambda: um.show(UNIT, 'StatusText') == '1 of 1 processes running',
                 what='STATUS= to drop the stopped app')
        # The app's stdout reaches the journal tagged with its uid.
        env.wait_journal(SYSLOG_IDENTIFIER='web', MESSAGE='started %d' % p['pid'])


def test_dbus_activation_and_not_running_error():
    with Env(journal=True) as env:
        r = env.ctl('list', check=False)
        assert r.returncode == 3, r
        assert r.stderr.startswith('foreverctl: foreverd is not running') and \
            r.stderr.count('\n') == 1, r.stderr
        um = private_manager_with_forever(env)
        assert um.active_state(UNIT) == 'inactive'
        r = env.ctl('list')  # activates org.forever.Forever1 → forever.service
        assert 'No forever processes running' in r.stdout
        assert um.active_state(UNIT) == 'active'


def test_kill9_daemon_every_app_back_exactly_once():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', UNIT)
        app = env.fixture('forever_app.js')
        for uid in ('a', 'b', 'c'):
            env.ctl('start', '--uid', uid, app, uid)
        before = {uid: p['pid'] for uid, p in running(env).items()}
        assert len(before) == 3
        daemon = um.main_pid(UNIT)
        os.kill(daemon, signal.SIGKILL)
        wait_for(lambda: um.main_pid(UNIT) not in (0, daemon) and
                 um.active_state(UNIT) == 'active', timeout=15,
                 what='systemd to restart foreverd')
        assert int(um.show(UNIT, 'NRestarts')) == 1
        after = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(running(env)),
                         timeout=10, what='every app to be back')
        for uid, p in after.items():
            assert p['pid'] != before[uid], (uid, p)
            assert not pid_alive(before[uid])
        time.sleep(1)
        assert node_pids_in(um, app) == sorted(p['pid'] for p in after.values())


def test_stop_and_restart_the_unit():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', UNIT)
        got = env.path('signals.txt')
        env.ctl('start', '--uid', 'polite', env.fixture('signal_logger.js'), got)
        wait_for(lambda: env.journal_entries(SYSLOG_IDENTIFIER='polite'), what='the app to start')
        pid = running(env)['polite']['pid']
        um.systemctl('stop', UNIT)
        assert um.active_state(UNIT) == 'inactive'
        assert um.show(UNIT, 'Result') == 'success'
        assert not pid_alive(pid) and open(got).read().split() == ['SIGTERM']
        assert not node_pids_in(um, env.fixture('signal_logger.js'))
        um.systemctl('start', UNIT)
        again = running(env)
        assert list(again) == ['polite'] and again['polite']['pid'] != pid
        um.systemctl('restart', UNIT)
        third = wait_for(lambda: running(env).get('polite'), what='polite after restart')
        assert third['pid'] != again['polite']['pid']
        assert len(node_pids_in(um, env.fixture('signal_logger.js'))) == 1


def test_watchdog_kills_a_frozen_daemon():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        os.makedirs(os.path.join(um.unit_dir, UNIT + '.d'), exist_ok=True)
        with open(os.path.join(um.unit_dir, UNIT + '.d', 'watchdog.conf'), 'w') as f:
            f.write('[Service]\nWatchdogSec=1\nTimeoutAbortSec=1\nRestartSec=100ms\n')
        um.daemon_reload()
        um.systemctl('start', UNIT)
        daemon = um.main_pid(UNIT)
        time.sleep(2.5)  # several watchdog periods: the loop pings
        assert um.main_pid(UNIT) == daemon and um.active_state(UNIT) == 'active'
        os.kill(daemon, signal.SIGSTOP)
        try:
            wait_for(lambda: um.main_pid(UNIT) not in (0, daemon), timeout=15,
                     what='the watchdog to replace the frozen foreverd')
        finally:
            if pid_alive(daemon):
                os.kill(daemon, signal.SIGCONT)
        assert um.show(UNIT, 'NRestarts') == '1'
        wait_for(lambda: um.active_state(UNIT) == 'active', what='forever.service active again')


if __name__ == '__main__':
    sys.exit(run())
