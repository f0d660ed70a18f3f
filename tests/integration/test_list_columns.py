#!/usr/bin/python3
"""Manager.ListColumns, which `foreverctl list` reads, says what ListV2 says
(for processes in varied states: running with arguments and a log file,
given up with an exit code, exited cleanly, in a group grown after another
process), fills only the columns asked for and refuses unknown names; the
table `list` prints from it agrees with `list --json` (read from ListV2)
in every column, in the same order."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, run, wait_for  # noqa: E402

ensure_sandbox()

# ListColumns' arrays, in their order, and the ListV2 row field of each.
COLUMNS = ['Path', 'Uid', 'Script', 'Command', 'Args', 'WorkingDirectory', 'MainPID', 'State',
           'Restarts', 'StartedAt', 'ExitCode', 'ExitSignal', 'LogFile', 'OutFile', 'ErrFile',
           'MemoryRSS', 'CPUUsage', 'Samples', 'StatusText', 'RecentCrashes', 'Group']
ROW = ['Path', 'Index', 'Uid', 'Script', 'Command', 'Args', 'WorkingDirectory', 'MainPID',
       'State', 'Restarts', 'StartedAt', 'ExitCode', 'ExitSignal', 'LogFile', 'OutFile',
       'ErrFile', 'MemoryRSS', 'CPUUsage', 'MemoryRSSAverage', 'CPUUsageAverage', 'Samples',
       'MaxMemory', 'StatusText', 'Ready', 'RecentCrashes', 'Reason']
# Changed by every sampling tick: compared for shape only.
SAMPLED = {'MemoryRSS', 'CPUUsage', 'Samples'}


def busctl(env, method, *args, check=True):
    r = env.run(['busctl', '--user', '--json=short', 'call', 'org.forever.Forever1',
                 '/org/forever/Forever1', 'org.forever.Forever1.Manager', method] +
                [str(a) for a in args], check=check)
    return json.loads(r.stdout)['data'][0] if r.returncode == 0 else r


def list_v2(env):
    return [dict(zip(ROW, row), Group=group) for row, group in busctl(env, 'ListV2')]


def list_columns(env, names):
    return dict(zip(COLUMNS, busctl(env, 'ListColumns', 'as', len(names), *names)))


def settled(env):
    """The processes, once none is between states."""
    def check():
        rows = list_v2(env)
        moving = [r for r in rows if r['State'] in ('starting', 'restarting', 'stopping')]
        return None if moving else rows
    return wait_for(check, timeout=15, what='every process settled')


def start_varied(env):
    app = env.fixture('forever_app.js')
    crash = env.fixture('crash_after.js')
    env.ctl('start', '-i', 2, '--uid', 'api', app)
    env.ctl('start', '--uid', 'solo', '-o', env.path('solo.log'), app, 'one', 'two words')
    env.ctl('start', '--uid', 'given-up', '-m', 0, '--minUptime', 0, crash, 50, 3)
    env.ctl('start', '--uid', 'clean', '--restart', 'on-failure', '--minUptime', 0, crash, 50, 0)
    env.ctl('scale', 'api', 3)  # api-2 comes after the others in index order
    wait_for(lambda: {p['uid']: p['state'] for p in env.ctl_json('list')}.get('given-up')
             == 'failed' and {p['uid']: p['state'] for p in env.ctl_json('list')}.get('clean')
             == 'exited', timeout=15, what='the crashing apps to settle')


def test_columns_say_what_list_v2_says():
    for tool in ('busctl', 'gdbus'):
        if shutil.which(tool) is None:
            raise Skip('%s not installed' % tool)
    with Env() as env:
        env.start_daemon()
        start_varied(env)
        rows = settled(env)
        cols = list_columns(env, COLUMNS)
        assert [r['Index'] for r in rows] == list(range(len(rows)))
        for name in COLUMNS:
            assert len(cols[name]) == len(rows), (name, cols[name])
            if name in SAMPLED:
                continue
            assert cols[name] == [r[name] for r in rows], (name, cols[name], rows)
        states = dict(zip(cols['Uid'], cols['State']))
        assert states['given-up'] == 'failed' and states['clean'] == 'exited', states
        # Only what was asked for; an unknown name is refused, by name.
        some = list_columns(env, ['Uid', 'MainPID'])
        assert [n for n in COLUMNS if some[n]] == ['Uid', 'MainPID'], some
        assert list_columns(env, [])['Uid'] == []
        r = env.run(['gdbus', 'call', '--session', '--dest', 'org.forever.Forever1',
                     '--object-path', '/org/forever/Forever1', '--method',
                     'org.forever.Forever1.Manager.ListColumns', "['Uid', 'Bogus']"], check=False)
        assert r.returncode != 0 and 'Error.InvalidArgument' in r.stderr, r
        assert "unknown column 'Bogus'" in r.stderr, r


def test_table_agrees_with_json():
    with Env() as env:
        env.start_daemon()
        start_varied(env)
        settled(env)
        # Every column that does not move with the clock.
        env.ctl('columns', 'set', 'index', 'uid', 'command', 'script', 'pid', 'restarts',
                'state', 'logfile', 'args', 'dir', 'status', 'exitcode')
        table = env.ctl('list', '--plain').stdout.splitlines()
        procs = env.ctl_json('list')
        expected = []
        for p in procs:
            files = [f for f in (p['logFile'], p['outFile'], p['errFile']) if f]
            exitcode = p['exitSignal'] or (str(p['exitCode']) if p['exitCode'] is not None
                                           else '-')
            state = p['state']
            if state == 'crash-looping' or (p['recentCrashes'] > 0 and state != 'running'):
                state += ' (%d crashes)' % p['recentCrashes']
            cells = ['[%d]' % p['index'], p['uid'], p['command'] or '-', p['script'],
                     str(p['pid']) if p['pid'] else '-', str(p['restarts']), state,
                     files[0] if files else 'journal', ' '.join(p['args']) or '-',
                     p['workingDir'], p['statusText'] or '-', exitcode]
            expected.append(' '.join(c or '-' for c in cells))
        assert table == expected, (table, expected)
        # A group's members together, the grown one too.
        uids = [p['uid'] for p in procs]
        assert uids[:3] == ['api-0', 'api-1', 'api-2'], uids
        # The default table: same rows, same order; `list TARGET` its members.
        env.ctl('clear', 'columns')
        rows = env.ctl('list').stdout.splitlines()[1:]
        assert [r.split()[1] for r in rows] == uids, rows
        members = env.ctl('list', 'api').stdout.splitlines()[1:]
        assert [r.split()[1] for r in members] == ['api-0', 'api-1', 'api-2'], members


if __name__ == '__main__':
    sys.exit(run())
