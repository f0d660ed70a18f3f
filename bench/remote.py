#!/usr/bin/python3
"""`foreverctl list` over ssh: one host, and two hosts in parallel (one
`-H a -H b list`) against one after the other (`-H a list; -H b list`).

Uses the test harness (tests/lib): two private buses with a foreverd each,
two real sshd's on loopback ports (tests/lib/sshd.py), 5 apps per host.
Run as root from the source tree after building:

    python3 bench/remote.py [--runs N] [--build DIR]

Prints medians in ms. ssh's key exchange dominates: compare the rows to
each other and to the local `list`, not across machines.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lib'))

from forever_harness import Env, ensure_sandbox  # noqa: E402

ensure_sandbox()

from sshd import SshClient, Sshd  # noqa: E402


def timed(env, argv, extra_env):
    t0 = time.monotonic()
    subprocess.run(argv, env=env.child_env(extra_env), check=True, stdout=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)
    return (time.monotonic() - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--build', default=os.path.join(HERE, '..', 'build'))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    os.environ.setdefault('FOREVERD', os.path.join(build, 'src', 'daemon', 'foreverd'))
    os.environ.setdefault('FOREVERCTL', os.path.join(build, 'src', 'cli', 'foreverctl'))
    os.environ.setdefault('FOREVER_FIXTURES', os.path.join(HERE, '..', 'tests', 'fixtures'))
    ctl = os.environ['FOREVERCTL']
    with Env() as one, Env() as two:
        for env in (one, two):
            env.start_daemon()
            for i in range(5):
                env.ctl('start', '--uid', 'app%d' % i, env.fixture('forever_app.js'))
        client = SshClient(one.path('ssh-client'))
        h1, h2 = Sshd(one, client), Sshd(two, client)
        ssh_env = client.env()
        rows = {
            'local list (5 apps)': lambda: timed(one, [ctl, 'list'], {}),
            'ssh true (floor: one ssh session)': lambda: timed(
                one, client.argv(h1, 'true'), ssh_env),
            '-H one host list': lambda: timed(one, [ctl, '-H', h1.spec, 'list'], ssh_env),
            '-H a -H b list (parallel)': lambda: timed(
                one, [ctl, '-H', h1.spec, '-H', h2.spec, 'list'], ssh_env),
            '-H a list; -H b list (one after the other)': lambda: timed(
                one, [ctl, '-H', h1.spec, 'list'], ssh_env) + timed(
                one, [ctl, '-H', h2.spec, 'list'], ssh_env),
        }
        results = {name: [] for name in rows}
        for _ in range(args.runs):       # interleaved, so load changes hit every row
            for name, fn in rows.items():
                results[name].append(fn())
        print('%-45s %10s %10s %10s' % ('measure (ms)', 'median', 'min', 'max'))
        for name, values in results.items():
            print('%-45s %10.1f %10.1f %10.1f' % (name, statistics.median(values), min(values),
                                                  max(values)))
        print('runs: %d; load average at the end: %s' % (args.runs, os.getloadavg()))


if __name__ == '__main__':
    main()
