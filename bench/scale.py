#!/usr/bin/python3
"""Scale benchmark (issue 19): N tiny C children (tests/tiny_child.c) under
one foreverd, started from one config. Prints, with the goals beside them:

  start wall time of `foreverctl start big.json`       goal <= 10 s at 10 000
  `list` at N, and its per-row cost (vs. 1 app)         goal <= 100 ms at 10 000
  `stopall`                                             goal <= 1 s
  the kernel's own part of it: a bare parent SIGTERMs and reaps N of the
  same children (no foreverd, no D-Bus), the floor any supervisor stands on
  restart latency kill -9 -> new run, at 1 and at N     goal: unchanged
  foreverd memory per app from /proc/PID/smaps_rollup   goal <= 16 KB private
  (Rss, Pss, Private_Dirty at N minus idle, over N)

    bench/scale.py [--build DIR] [--apps N] [--json OUT]

Runs a private dbus-daemon and foreverd (bench/run.py's Ours) in a
temporary HOME; raises its own descriptor/process limits only as needed;
stops what it started by pid. Also runs the state journal perftest."""

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lib'))
from env_marks import live_by_env  # noqa: E402
from run import Ours, spawn_latency, wait_until  # noqa: E402

MARK = 'FOREVER_BENCH_SCALE_UID'
SAMPLE_INTERVAL_S = 5  # foreverd's default --sample-interval


def smaps_rollup(pid):
    """{'Rss': kB, 'Pss': kB, 'Private_Dirty': kB, ...} of pid."""
    out = {}
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == 'kB':
                out[parts[0].rstrip(':')] = int(parts[1])
    return out


def live_by_marker():
    """uid -> [pids] of every live process carrying the marker."""
    return live_by_env(MARK)


def pid_of(uid):
    """A live pid carrying the marker `uid`, or None."""
    return live_by_marker().get(uid, [None])[0]


def read_stamp(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def restart_latency(uid, stamp, runs=10):
    """Median time from a clean exit of the app's run (SIGUSR1 sent) to its
    new run's first instruction (reap -> exec, plus the SIGCHLD delivery): the
    child writes its own start time (tests/tiny_child.c, TINY_CHILD_STAMP),
    so the figure does not include a /proc scan that grows with the apps."""
    times = []
    for _ in range(runs):
        old = pid_of(uid)
        before = read_stamp(stamp)
        t0 = time.monotonic_ns()
        os.kill(old, signal.SIGUSR1)
        if not wait_until(lambda: read_stamp(stamp) not in (None, before), 10, 0.0005):
            raise RuntimeError('%s did not come back' % uid)
        times.append((read_stamp(stamp) - t0) / 1e9)
        time.sleep(0.05)
    return statistics.median(times)


def write_config(path, child, n, first=0):
    with open(path, 'w') as f:
        json.dump([{'uid': 'a%05d' % i, 'script': child, 'silent': True,
                    'env': {MARK: 'a%05d' % i}} for i in range(first, first + n)], f)


def kernel_floor(child, n):
    """Seconds for a bare parent to SIGTERM and reap n idle children:
    what the kernel alone spends on their exits (on a VM whose page-table
    writes trap to the hypervisor, most of a stopall's machine time)."""
    pids = []
    reaped = 0
    try:
        for _ in range(n):
            pids.append(os.posix_spawn(child, [child], {}))
        time.sleep(1)  # every child reached its wait
        t0 = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        for pid in pids:
            os.waitpid(pid, 0)
            reaped += 1
        return time.monotonic() - t0
    finally:
        for pid in pids[reaped:]:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def raise_limits(n):
    # foreverd holds one descriptor per silent app (its pidfd); the soft
    # limit is raised as far as the hard one allows (raising that needs
    # CAP_SYS_RESOURCE, which a container may not have).
    for res, need in ((resource.RLIMIT_NOFILE, 2 * n + 1024),
                      (resource.RLIMIT_NPROC, 2 * n + 4096)):
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            need = min(need, hard)
        if soft != resource.RLIM_INFINITY and soft < need:
            resource.setrlimit(res, (need, hard))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(os.path.dirname(__file__), '..', 'build'))
    ap.add_argument('--apps', type=int, default=10000)
    ap.add_argument('--json')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    child = os.path.join(build, 'tests', 'tiny_child')
    n = args.apps
    raise_limits(n)
    results = {'apps': n}
    with tempfile.TemporaryDirectory(prefix='forever-scale-', dir='/var/tmp') as root:
        ours = Ours(root, build)
        try:
            d = ours.daemon.pid
            # One start and stop first: sdbus-c++ keeps two eventfds after
            # its first asynchronous reply; they are not per app.
            ours.run(ours.ctl, 'start', '--uid', 'warm-up', '-s', child)
            ours.run(ours.ctl, 'stop', 'warm-up')
            idle = smaps_rollup(d)
            # The probe app carries the marker through its spec's env.
            probe_cfg = os.path.join(root, 'probe.json')
            stamp = os.path.join(root, 'probe.stamp')
            with open(probe_cfg, 'w') as f:
                json.dump([{'uid': 'probe', 'script': child, 'silent': True,
                            'restartDelay': 0, 'minUptime': 0,
                            'env': {MARK: 'probe', 'TINY_CHILD_STAMP': stamp}}], f)
            ours.run(ours.ctl, 'start', probe_cfg)
            wait_until(lambda: pid_of('probe') is not None, 10)
            results['list_ms_1'] = spawn_latency(ours.list_argv(), ours.env) * 1000
            results['restart_ms_1'] = restart_latency('probe', stamp) * 1000

            config = os.path.join(root, 'big.json')
            write_config(config, child, n)
            t0 = time.monotonic()
            ours.run(ours.ctl, 'start', config)
            results['start_s'] = time.monotonic() - t0
            wait_until(lambda: len(live_by_marker()) >= n + 1, 120, 0.2)
            results['list_ms_n'] = spawn_latency(ours.list_argv(), ours.env, runs=5) * 1000
            results['list_us_per_row'] = \
                (results['list_ms_n'] - results['list_ms_1']) * 1000 / n
            results['restart_ms_n'] = restart_latency('probe', stamp) * 1000
            # Steady state: every app sampled by the metrics sampler (every
            # 5 s by default), whose history ring is a fixed part of an app's
            # cost; measured right after the start, it was there or not by
            # chance (9 or 14 KB per app from one run to the next).
            time.sleep(SAMPLE_INTERVAL_S * 2 + 0.5)
            full = smaps_rollup(d)
            for key in ('Rss', 'Pss', 'Private_Dirty'):
                results['idle_%s_kB' % key] = idle.get(key, 0)
                results['full_%s_kB' % key] = full.get(key, 0)
                results['per_app_%s_kB' % key] = (full.get(key, 0) - idle.get(key, 0)) / n
            t0 = time.monotonic()
            ours.stopall()
            results['stopall_s'] = time.monotonic() - t0
        finally:
            ours.close()
            for pids in live_by_marker().values():
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
        results['kernel_floor_s'] = kernel_floor(child, n)
        perf = subprocess.run([os.path.join(build, 'src', 'core', 'state_journal_perftest'),
                               os.path.join(root, 'perf')],
                              stdout=subprocess.PIPE, text=True, check=False)
        results['state_perftest'] = perf.stdout.splitlines()

    r = results
    print('%d tiny children under one foreverd' % n)
    print('  start from one config      %8.2f s    (goal <= 10 s at 10 000)' % r['start_s'])
    print('  list at 1 / at %-6d      %6.1f / %.1f ms, %.1f us per row (goal <= 100 ms)'
          % (n, r['list_ms_1'], r['list_ms_n'], r['list_us_per_row']))
    print('  stopall                    %8.2f s    (goal <= 1 s)' % r['stopall_s'])
    print('    the kernel alone         %8.2f s    (a bare parent SIGTERMs and reaps %d)'
          % (r['kernel_floor_s'], n))
    print('    foreverd\'s part          %8.2f s    (stopall minus the kernel\'s)'
          % (r['stopall_s'] - r['kernel_floor_s']))
    print('  restart latency at 1 / %-6d %5.1f / %.1f ms (goal: unchanged)'
          % (n, r['restart_ms_1'], r['restart_ms_n']))
    for key in ('Rss', 'Pss', 'Private_Dirty'):
        print('  foreverd %-13s idle %7d kB, at %d %8d kB: %5.1f kB per app'
              % (key, r['idle_%s_kB' % key], n, r['full_%s_kB' % key],
                 r['per_app_%s_kB' % key]))
    print('  (goal: <= 16 KB private per app)')
    for line in r['state_perftest']:
        print('  state: ' + line)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
