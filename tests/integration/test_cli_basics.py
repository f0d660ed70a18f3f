#!/usr/bin/python3
"""The command line a forever user types: targets by index, uid and script,
the `forever` alias, help and version, clear one-line errors with exit
codes, and typed D-Bus errors for every refusal."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, pid_alive, run  # noqa: E402

ensure_sandbox()


def uids(env):
    return [p['uid'] for p in env.ctl_json('list')]


def test_targets_index_uid_script():
    with Env() as env:
        env.start_daemon()
        app = env.fixture('forever_app.js')
        other = env.fixture('echo_args.js')
        for uid in ('a', 'b'):
            env.ctl('start', '--uid', uid, app)
        env.ctl('start', '--uid', 'c', other)
        table = env.ctl('list', '--no-color').stdout.splitlines()
        header = table[0].split()
        assert header == ['uid', 'command', 'script', 'pid', 'uptime', 'restarts', 'cpu',
                          'memory', 'state'], header
        assert table[1].startswith('[0]  a ') and 'running' in table[1], table
        first = env.ctl_json('list')[0]['pid']
        assert env.ctl('restart', 0).stdout.strip() == 'restarted a'
        assert not pid_alive(first)
        # A script name stops every process running it.
        assert env.ctl('stop', 'forever_app.js').stdout.split() == ['stopped', 'a', 'stopped', 'b']
        assert uids(env) == ['c']
        assert env.ctl('stop', other).stdout.strip() == 'stopped c'  # an absolute path
        r = env.ctl('stop', 0, check=False)
        assert r.returncode == 4 and r.stderr == "foreverctl: no process matches '0'\n", r
        assert env.ctl('list').stdout == 'No forever processes running\n'


def test_start_output_and_refusals():
    with Env() as env:
        env.start_daemon()
        # (--json after the script would be the script's: put it first)
        js = json.loads(env.ctl('--json', 'start', '--uid', 'j', env.fixture('forever_app.js')).stdout)
        assert js['uid'] == 'j' and js['pid'] > 0 and js['state'] == 'running', js
        r = env.ctl('start', '--uid', 'j', env.fixture('forever_app.js'), check=False)
        assert r.returncode == 1 and "already exists" in r.stderr and r.stderr.count('\n') == 1
        r = env.ctl('start', 'missing.js', check=False)
        assert r.returncode == 1 and r.stderr == 'foreverctl: script not found: %s\n' % \
            os.path.join(env.home, 'missing.js'), r
        assert uids(env) == ['j']  # nothing was spawned for the refusals
        r = env.ctl('start', '-c', 'no-such-interpreter', env.fixture('forever_app.js'),
                    check=False)
        assert r.returncode == 1 and 'not found in PATH' in r.stderr, r
        r = env.ctl('bogus', check=False)
        assert r.returncode == 2 and r.stderr.startswith('foreverctl: unknown action'), r


def test_dbus_errors_are_typed():
    with Env() as env:
        env.start_daemon()

        def call(*args):
            return env.run(['busctl', '--user', 'call', 'org.forever.Forever1',
                            '/org/forever/Forever1', 'org.forever.Forever1.Manager'] +
                           [str(a) for a in args], check=False)
        cases = [
            (('Stop', 's', 'nope'), 'org.forever.Forever1.Error.NotFound'),
            (('GetProcess', 's', 'nope'), 'org.forever.Forever1.Error.NotFound'),
            (('StopByPid', 'u', 1), 'org.forever.Forever1.Error.NotFound'),
            (('Start', 'a{sv}', 1, 'script', 's', '/nonexistent.js'),
             'org.forever.Forever1.Error.InvalidArgument'),
            (('Start', 'a{sv}', 2, 'script', 's', env.fixture('forever_app.js'), 'bogus', 'b',
              'true'), 'org.forever.Forever1.Error.InvalidArgument'),
            (('Start', 'a{sv}', 1, 'max', 's', 'x'), 'org.forever.Forever1.Error.InvalidArgument'),
            (('Start', 'a{sv}', 2, 'script', 's', 'relative.js', 'uid', 's', 'a/b'),
             'org.forever.Forever1.Error.InvalidArgument'),
        ]
        for args, name in cases:
            r = call(*args)
            assert r.returncode != 0, (args, r.stdout)
            # busctl prints the message; check the name through gdbus-free
            # dbus-send, which prints the error name itself.
        for args, name in cases[:3]:
            method, sig, value = args[0], args[1], args[2]
            typ = {'s': 'string', 'u': 'uint32'}[sig]
            r = env.run(['dbus-send', '--session', '--print-reply',
                         '--dest=org.forever.Forever1', '/org/forever/Forever1',
                         'org.forever.Forever1.Manager.' + method, '%s:%s' % (typ, value)],
                        check=False)
            assert r.returncode != 0 and 'Error ' + name in r.stderr, (args, r.stderr)
        # The daemon is still there and answering after every refusal.
        assert env.ctl_json('list') == []
        assert env.daemon.alive()


def test_alias_help_version():
    with Env() as env:
        alias = env.path('forever')
        os.symlink(os.environ['FOREVERCTL'], alias)
        r = env.run([alias, '--version'])
        assert r.stdout.startswith('foreverctl ') and r.stdout.strip().split()[1][0].isdigit()
        env.start_daemon()
        env.run([alias, 'start', '--uid', 'classic', env.fixture('forever_app.js')])
        assert 'classic' in env.run([alias, 'list']).stdout
        help_text = env.ctl('--help').stdout
        for action in ('start', 'stop', 'stopall', 'restart', 'restartall', 'stopbypid', 'list',
                       'logs', 'cleanlogs', 'status'):
            assert '  %s' % action in help_text, action
        assert '--minUptime' in env.ctl('help', 'start').stdout


def test_columns_and_settings():
    with Env() as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'col', env.fixture('forever_app.js'), 'x', 'y')
        assert env.ctl('columns', 'set', 'uid', 'pid', 'args').stdout == 'columns: uid pid args\n'
        table = env.ctl('list').stdout.splitlines()
        assert table[0].split() == ['uid', 'pid', 'args'] and table[1].split()[2:] == ['x', 'y']
        env.ctl('columns', 'rm', 'pid')
        env.ctl('columns', 'add', 'exitcode')
        assert env.ctl('list').stdout.splitlines()[0].split() == ['uid', 'args', 'exitcode']
        saved = json.load(open(os.path.join(env.config_home, 'forever', 'config.json')))
        assert saved['columns'] == ['uid', 'args', 'exitcode']
        r = env.ctl('columns', 'add', 'bogus', check=False)
        assert r.returncode == 2 and "unknown column 'bogus'" in r.stderr
        env.ctl('set', 'lines', 3)
        env.ctl('set', 'color', 'never')
        shown = env.ctl('config').stdout
        assert 'lines = 3' in shown and 'color = never' in shown, shown
        env.ctl('clear', 'columns')
        assert env.ctl('list').stdout.splitlines()[0].split()[0] == 'uid'  # index has no header
        assert len(env.ctl('list').stdout.splitlines()[0].split()) == 9


def test_instances_and_monit():
    with Env() as env:
        env.start_daemon()
        out = env.ctl('start', '-i', 3, '--uid', 'api', '-o', env.path('api.log'),
                      env.fixture('echo_args.js')).stdout
        assert out.count('started api-') == 3, out
        listed = env.ctl_json('list')
        assert [p['uid'] for p in listed] == ['api-0', 'api-1', 'api-2']
        wait_for_lines = __import__('forever_harness').wait_for
        lines = wait_for_lines(lambda: (lambda t: t if len(t) == 3 else None)(
            open(env.path('api.log')).read().splitlines()), what='three instances writing')
        assert sorted(json.loads(x)['env']['FOREVER_INSTANCE'] for x in lines) == ['0', '1', '2']
        r = env.ctl('start', '-i', 0, env.fixture('echo_args.js'), check=False)
        assert r.returncode == 2 and 'instances' in r.stderr
        # Not on a terminal, monit prints one frame and exits.
        frame = env.ctl('monit').stdout
        assert 'forever monit' in frame and 'api-2' in frame, frame


if __name__ == '__main__':
    sys.exit(run())
