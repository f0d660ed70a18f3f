#!/usr/bin/python3
"""Logs (SPEC §5): journald by default with lifecycle entries, files with
-o/-e/-l/-p/-a/-t, size rotation without lost or torn lines, `logs` and
`logs TARGET [-n N] [-f]`, `cleanlogs`."""

import os
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, run, wait_for  # noqa: E402

ensure_sandbox()

ISO = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z'


def read_lines(proc, count, timeout=10):
    """The next `count` lines of proc.stdout (binary pipe), or fail."""
    lines, buf = [], b''
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while len(lines) < count:
        left = deadline - time.monotonic()
        assert left > 0, 'only got %r (+%r) before the timeout' % (lines, buf)
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        assert chunk, 'EOF after %r (+%r)' % (lines, buf)
        buf += chunk
        while b'\n' in buf and len(lines) < count:
            line, buf = buf.split(b'\n', 1)
            lines.append(line.decode())
    return lines


def file_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_journal_is_the_default_with_lifecycle_entries():
    with Env(journal=True) as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'talk', '-m', 1, '--minUptime', 0, env.fixture('talker.js'),
                3, 3)
        out = env.wait_journal(SYSLOG_IDENTIFIER='talk', MESSAGE='out 3')
        assert out[0]['PRIORITY'] == '6', out[0]
        err = env.wait_journal(SYSLOG_IDENTIFIER='talk', MESSAGE='err 2')
        assert err[0]['PRIORITY'] == '3', err[0]

        # The app's whole story under FOREVER_UID: start, exit 3, restart, give up.
        def story(entries):
            events = [e['FOREVER_EVENT'] for e in entries]
            return 'give-up' in events
        entries = env.wait_journal(FOREVER_UID='talk', predicate=story,
                                   what='the give-up entry of talk')
        events = [e['FOREVER_EVENT'] for e in entries]
        assert events[0] == 'start', events
        assert 'restart' in events, events
        exits = [e for e in entries if e['FOREVER_EVENT'] == 'exit']
        assert exits and all(e['FOREVER_EXIT_CODE'] == '3' for e in exits), exits
        assert all(e['SYSLOG_IDENTIFIER'] == 'foreverd' for e in entries)
        assert exits[0]['FOREVER_PID'] == str(out[0]['_PID']), (exits[0], out[0])

        # foreverctl logs reads the same journal (sd-journal, no journalctl).
        r = env.ctl('logs', 'talk', '-n', 200, '--plain')
        shown = r.stdout.splitlines()
        for line in ('out 1', 'out 3', 'err 1', 'err 3'):
            assert line in shown, (line, shown)
        r = env.ctl('logs', 'talk', '-n', 2, '--plain')
        assert len(r.stdout.splitlines()) == 2, r.stdout
        js = env.ctl('logs', 'talk', '-n', 50, '--json').stdout.splitlines()
        import json
        parsed = [json.loads(x) for x in js]
        assert any(p['message'] == 'err 2' and p['priority'] == 3 for p in parsed), parsed
        assert any(p['lifecycle'] for p in parsed), parsed

        # `logs` without a target says where each process's output goes.
        listing = env.ctl('logs').stdout
        assert 'talk' in listing and 'journal' in listing, listing


def test_logs_follow_the_journal():
    with Env(journal=True) as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'ticker', env.fixture('talker.js'), 1)
        env.wait_journal(SYSLOG_IDENTIFIER='ticker', MESSAGE='tick 2')
        follower = env.popen([os.environ['FOREVERCTL'], 'logs', 'ticker', '-f', '-n', '1',
                              '--plain'], stdout=subprocess.PIPE)
        lines = read_lines(follower, 4)
        ticks = [int(line.split()[1]) for line in lines if line.startswith('tick ')]
        assert len(ticks) >= 3 and ticks == sorted(ticks) and len(set(ticks)) == len(ticks), lines
        follower.send_signal(signal.SIGINT)
        assert follower.wait(5) is not None


def test_log_files_truncate_append_timestamp_and_paths():
    with Env(journal=True) as env:
        env.start_daemon()
        logs = env.path('logs')
        os.mkdir(logs)
        with open(os.path.join(logs, 'out.log'), 'w') as f:
            f.write('stale line from an earlier run\n')
        # Relative paths resolve against -p DIR.
        env.ctl('start', '--uid', 'files', '-p', logs, '-o', 'out.log', '-e', 'err.log',
                '-l', 'all.log', '--restart', 'no', env.fixture('talker.js'), 3, 0)
        out = os.path.join(logs, 'out.log')
        wait_for(lambda: env.ctl_json('list')[0]['state'] == 'exited', what='talker to exit')
        assert file_lines(out) == ['out 1', 'out 2', 'out 3'], file_lines(out)
        assert file_lines(os.path.join(logs, 'err.log')) == ['err 1', 'err 2', 'err 3']
        combined = file_lines(os.path.join(logs, 'all.log'))
        assert sorted(combined) == ['err 1', 'err 2', 'err 3', 'out 1', 'out 2', 'out 3']
        # Output to files does not also go to the journal.
        assert not env.journal_entries(SYSLOG_IDENTIFIER='files')

        listing = env.ctl('logs', '--plain').stdout
        assert out in listing and os.path.join(logs, 'err.log') in listing, listing
        info = env.ctl_json('list')[0]
        assert info['outFile'] == out and info['logFile'] == os.path.join(logs, 'all.log')

        tail = env.ctl('logs', 'files', '-n', 2).stdout.splitlines()
        assert tail == [line for line in file_lines(os.path.join(logs, 'all.log'))[-2:]], tail
        env.ctl('stop', 'files')

        # -a appends to what is there; -t prefixes every line with a timestamp.
        env.ctl('start', '--uid', 'files2', '-a', '-t', '-o', out, '--restart', 'no',
                env.fixture('talker.js'), 2, 0)
        wait_for(lambda: len(file_lines(out)) == 5, what='appended lines')
        lines = file_lines(out)
        assert lines[:3] == ['out 1', 'out 2', 'out 3'], lines
        for line, n in zip(lines[3:], (1, 2)):
            assert re.fullmatch(ISO + r' out %d' % n, line), line

        # A relative path without -p is relative to the caller's directory.
        env.ctl('start', '--uid', 'files3', '-o', 'here.log', '--restart', 'no',
                env.fixture('talker.js'), 1, 0, cwd=logs)
        wait_for(lambda: os.path.exists(os.path.join(logs, 'here.log')) and
                 file_lines(os.path.join(logs, 'here.log')) == ['out 1'], what='here.log')


def test_logs_follow_a_file_across_rotation():
    with Env(journal=True) as env:
        env.start_daemon()
        out = env.path('tick.log')
        # ~8 bytes a line, 10 lines a second: a rotation every ~1.5 s.
        env.ctl('start', '--uid', 'tick', '-o', out, '--logMaxBytes', 120, '--logKeep', 2,
                env.fixture('talker.js'), 1)
        follower = env.popen([os.environ['FOREVERCTL'], 'logs', 'tick', '-f', '-n', '0'],
                             stdout=subprocess.PIPE)
        lines = read_lines(follower, 35, timeout=15)
        ticks = [int(x.split()[1]) for x in lines if x.startswith('tick ')]
        assert len(ticks) >= 33, lines
        assert ticks == list(range(ticks[0], ticks[0] + len(ticks))), ticks
        assert os.path.exists(out + '.1') and os.path.exists(out + '.2'), 'no rotation happened'
        assert not os.path.exists(out + '.3')
        follower.send_signal(signal.SIGTERM)
        follower.wait(5)


def test_rotation_keeps_every_line_whole():
    with Env(journal=True) as env:
        env.start_daemon()
        out = env.path('flood.log')
        err = env.path('flood.err')
        env.ctl('start', '--uid', 'flood', '-o', out, '-e', err, '--logMaxBytes', 262144,
                '--logKeep', 3, '--restart', 'no', env.fixture('flood.js'), 2)
        wait_for(lambda: env.ctl_json('list')[0]['state'] == 'exited', timeout=30,
                 what='flood to finish')
        done = file_lines(err)
        m = re.fullmatch(r'flood done (\d+) lines (\d+) bytes', done[-1])
        assert m, done
        total = int(m.group(1))
        files = [out] + ['%s.%d' % (out, n) for n in (1, 2, 3)]
        assert all(os.path.exists(f) for f in files), os.listdir(env.dir)
        assert not os.path.exists(out + '.4'), 'logKeep 3 kept a fourth file'
        numbers = []
        for f in reversed(files):  # oldest first
            assert os.path.getsize(f) <= 262144 + 65536, (f, os.path.getsize(f))
            for line in file_lines(f):
                mm = re.fullmatch(r'line (\d+) x{64}', line)
                assert mm, 'torn or foreign line in %s: %r' % (f, line[:100])
                numbers.append(int(mm.group(1)))
        # What is kept is contiguous and ends with the very last line.
        assert numbers == list(range(numbers[0], total)), (numbers[:3], numbers[-3:], total)
        # cleanlogs removes rotated files and the files of processes that
        # are not running; nothing of a running process.
        env.ctl('start', '--uid', 'alive', '-o', env.path('alive.log'),
                env.fixture('talker.js'), 1)
        wait_for(lambda: os.path.exists(env.path('alive.log')), what='alive.log')
        removed = env.ctl_json('cleanlogs')
        # flood exited: its current file goes too.
        for f in files:
            assert f in removed and not os.path.exists(f), (f, removed)
        assert env.path('alive.log') not in removed and os.path.exists(env.path('alive.log'))


def test_daemon_wide_rotation_defaults():
    with Env(journal=True) as env:
        env.start_daemon(extra_args=['--log-max-bytes', 65536, '--log-keep', 1])
        out = env.path('d.log')
        env.ctl('start', '--uid', 'dflt', '-o', out, '--restart', 'no', env.fixture('flood.js'), 1)
        wait_for(lambda: env.ctl_json('list')[0]['state'] == 'exited', timeout=30,
                 what='flood to finish')
        assert os.path.exists(out + '.1') and not os.path.exists(out + '.2'), os.listdir(env.dir)
        assert os.path.getsize(out) <= 65536 + 65536
        # An app's own setting wins over the daemon's default.
        out2 = env.path('own.log')
        env.ctl('start', '--uid', 'own', '-o', out2, '--logKeep', 3, '--restart', 'no',
                env.fixture('flood.js'), 1)
        wait_for(lambda: env.ctl_json('list')[1]['state'] == 'exited', timeout=30,
                 what='second flood to finish')
        assert os.path.exists(out2 + '.3') and not os.path.exists(out2 + '.4')


if __name__ == '__main__':
    sys.exit(run())
