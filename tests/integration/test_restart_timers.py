#!/usr/bin/python3
"""restartAt under a real `systemd --user`: foreverd makes a transient
forever-restart-UID.timer (OnCalendar=, systemd's calendar syntax) whose
oneshot calls foreverd back; the timer is listed, restarts the app at its
times, is kept across a foreverd restart, goes with `stop`; systemd's own
message refuses a bad calendar; without a manager the key is refused."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, pid_alive, run, wait_for  # noqa: E402
from user_manager import private_manager_with_forever  # noqa: E402

ensure_sandbox()

UNIT = 'forever.service'


def config(env, name, **keys):
    """A forever.json for one app; returns its path."""
    path = env.path(name + '.json')
    app = {'uid': name, 'script': env.fixture('forever_app.js')}
    app.update(keys)
    with open(path, 'w') as f:
        json.dump(app, f)
    return path


def timers(um):
    return um.systemctl('list-timers', '--all', '--no-legend').stdout


def pid_of(env, uid):
    for p in env.ctl_json('list'):
        if p['uid'] == uid and p['state'] == 'running':
            return p['pid']
    return None


def test_timer_restarts_the_app_survives_foreverd_and_goes_with_stop():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', UNIT)
        env.ctl('start', config(env, 'tick', restartAt='*:*:0/5'))
        assert 'forever-restart-tick.timer' in timers(um), timers(um)
        # systemd normalized the calendar: the schedule is its own.
        calendar = um.show('forever-restart-tick.timer', 'TimersCalendar')
        assert '*-*-* *:*:00/5' in calendar, calendar
        first = wait_for(lambda: pid_of(env, 'tick'), what='tick running')
        second = wait_for(lambda: (lambda p: p if p not in (None, first) else None)(
            pid_of(env, 'tick')), timeout=15, what='a scheduled restart')
        assert not pid_alive(first)
        entry = env.wait_journal(FOREVER_UID='tick', FOREVER_EVENT='scheduled-restart',
                                 what='the scheduled restart in the journal')
        assert entry[-1]['FOREVER_REASON'] == 'scheduled', entry[-1]

        um.systemctl('restart', UNIT)  # a new foreverd restores tick and its timer
        assert 'forever-restart-tick.timer' in timers(um), timers(um)
        third = wait_for(lambda: pid_of(env, 'tick'), what='tick restored')
        assert third != second
        wait_for(lambda: (lambda p: p if p not in (None, third) else None)(pid_of(env, 'tick')),
                 timeout=15, what='a scheduled restart after the foreverd restart')

        # A timer lost meanwhile (here stopped by hand while foreverd was
        # down) is made again by the next foreverd's restore.
        um.systemctl('stop', UNIT)
        um.systemctl('stop', 'forever-restart-tick.timer')
        assert 'forever-restart-tick' not in timers(um)
        um.systemctl('start', UNIT)
        wait_for(lambda: 'forever-restart-tick.timer' in timers(um),
                 what='the restored app to get its timer again')

        env.ctl('stop', 'tick')
        wait_for(lambda: 'forever-restart-tick' not in timers(um),
                 what='the timer to go with the app')


def test_a_group_has_one_timer_that_rolls_every_member():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', UNIT)
        env.ctl('start', '-i', 2, '--uid', 'grp', '--restart-at', '*:*:0/5',
                env.fixture('forever_app.js'))
        listed = timers(um)
        assert 'forever-restart-grp.timer' in listed, listed
        assert 'forever-restart-grp-' not in listed, listed  # one for the group, not per member
        first = {u: wait_for(lambda u=u: pid_of(env, u), what=u) for u in ('grp-0', 'grp-1')}
        for uid in first:
            wait_for(lambda uid=uid: pid_of(env, uid) not in (None, first[uid]), timeout=15,
                     what='%s restarted by the schedule' % uid)
            env.wait_journal(FOREVER_UID=uid, FOREVER_EVENT='scheduled-restart')
            env.wait_journal(FOREVER_UID=uid, FOREVER_EVENT='reload')  # rolled, not restarted
        env.ctl('stop', 'grp-0')
        assert 'forever-restart-grp.timer' in timers(um)  # grp-1 still uses it
        env.ctl('stop', 'grp')
        wait_for(lambda: 'forever-restart-grp' not in timers(um),
                 what='the timer to go with the last member')


def test_bad_calendar_is_refused_with_systemds_message():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', UNIT)
        r = env.ctl('start', config(env, 'bad', restartAt='every tuesday-ish'), check=False)
        assert r.returncode != 0, r
        # systemd's words, not ours: it parsed the calendar.
        assert "restartAt 'every tuesday-ish'" in r.stderr, r.stderr
        assert 'calendar' in r.stderr.lower(), r.stderr
        assert [p['uid'] for p in env.ctl_json('list')] == []
        assert 'forever-restart-bad' not in timers(um)
        # PM2's spelling in forever.json is the same setting.
        path = env.path('pm2.json')
        with open(path, 'w') as f:
            json.dump({'uid': 'pm2', 'script': env.fixture('forever_app.js'),
                       'cron_restart': 'daily'}, f)
        env.ctl('start', path)
        assert 'forever-restart-pm2.timer' in timers(um)
        assert '*-*-* 00:00:00' in um.show('forever-restart-pm2.timer', 'TimersCalendar')
        # Without a uid one is made first: the timer is named after it.
        path = env.path('nouid.json')
        with open(path, 'w') as f:
            json.dump({'script': env.fixture('forever_app.js'), 'restartAt': 'weekly'}, f)
        env.ctl('start', path)
        assert len(env.ctl_json('list')) == 2
        ours = [line for line in timers(um).splitlines() if 'forever-restart-' in line]
        assert len(ours) == 2, ours


def test_without_a_service_manager_restart_at_is_refused():
    with Env(journal=True) as env:
        env.start_daemon()
        r = env.ctl('start', config(env, 'lonely', restartAt='daily'), check=False)
        assert r.returncode != 0, r
        assert 'needs a systemd service manager' in r.stderr, r.stderr
        assert env.ctl_json('list') == []


if __name__ == '__main__':
    sys.exit(run())
