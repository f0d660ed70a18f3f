#!/usr/bin/python3
"""Scale (issue 19): many tiny C children (tests/tiny_child.c) started from
one config, listed, stopped; and a kill -9 of foreverd in the middle of a
bulk start, after which every app a client was told about runs exactly
once under the successor.

Sizes: 1000 apps in the default suite, 10 000 with FOREVER_SOAK=1 (meson
test --setup soak --suite soak). Timings are printed, and asserted only
within generous sanity bounds; bench/scale.py measures them."""

import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, pid_alive, run, wait_for  # noqa: E402
from env_marks import live_by_env  # noqa: E402

ensure_sandbox()

SOAK = os.environ.get('FOREVER_SOAK') == '1'
N = 10000 if SOAK else 1000
MARK = 'FOREVER_TEST_SCALE_UID'


def tiny_child():
    path = os.environ.get('FOREVER_TINY_CHILD')
    assert path and os.access(path, os.X_OK), 'FOREVER_TINY_CHILD is not set'
    return path


def write_config(env, n, name='big.json', first=0):
    """n apps of the tiny child, each marked in its environment with its
    uid, so the live ones are counted by marker, not by name."""
    path = env.path(name)
    with open(path, 'w') as f:
        json.dump([{'uid': 'a%05d' % i, 'script': tiny_child(), 'silent': True,
                    'env': {MARK: 'a%05d' % i}} for i in range(first, first + n)], f)
    return path


def live_by_marker():
    """uid -> [pids] of every live process carrying the marker."""
    return live_by_env(MARK)


def describe_twice(live):
    """The processes of every uid found more than once: pid, state, parent,
    command line."""
    out = []
    for uid, pids in live.items():
        if len(pids) > 1:
            for pid in pids:
                try:
                    with open('/proc/%d/stat' % pid) as f:
                        stat = f.read().rsplit(')', 1)[1].split()[:2]
                    with open('/proc/%d/cmdline' % pid, 'rb') as f:
                        cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
                except OSError:
                    stat, cmd = ['gone'], ''
                out.append('%s: pid %d state/ppid %s: %s' % (uid, pid, stat, cmd))
    return '\n'.join(out[:10])


def raise_limits(n):
    """Room for n children: descriptors for foreverd (one per silent child,
    its pidfd, and a few of its own) and processes; only up to what is
    needed and the hard limit allows (raising that needs CAP_SYS_RESOURCE),
    restored afterwards."""
    saved = {}
    for res, need in ((resource.RLIMIT_NOFILE, 2 * n + 1024),
                      (resource.RLIMIT_NPROC, 2 * n + 4096)):
        soft, hard = resource.getrlimit(res)
        saved[res] = (soft, hard)
        if hard != resource.RLIM_INFINITY:
            need = min(need, hard)
        if soft != resource.RLIM_INFINITY and soft < need:
            resource.setrlimit(res, (need, hard))
    return saved


def restore_limits(saved):
    for res, (soft, hard) in saved.items():
        resource.setrlimit(res, (soft, hard))


def test_start_list_stop_many_from_one_config():
    saved = raise_limits(N)
    try:
        with Env() as env:
            env.start_daemon()
            config = write_config(env, N)
            t0 = time.monotonic()
            # The caller's environment goes to foreverd once (StartMany's
            # shared environment), and still reaches every app, under the
            # app's own env (the config sets the marker per app).
            env.ctl('start', config, timeout=600,
                    extra_env={'FOREVER_SCALE_CALLER': 'yes', MARK: 'the caller'})
            started = time.monotonic() - t0
            print('    started %d tiny children from one config in %.2f s' % (N, started))

            t0 = time.monotonic()
            listed = env.ctl_json('list', timeout=120)
            print('    list (json) at %d: %.0f ms' % (N, (time.monotonic() - t0) * 1000))
            assert len(listed) == N, len(listed)
            assert all(p['state'] == 'running' for p in listed)
            live = live_by_marker()
            assert sorted(live) == sorted(p['uid'] for p in listed)
            assert all(len(pids) == 1 for pids in live.values()), describe_twice(live)
            assert {p['uid']: p['pid'] for p in listed} == \
                {uid: pids[0] for uid, pids in live.items()}
            for p in listed[:3] + listed[-3:]:
                with open('/proc/%d/environ' % p['pid'], 'rb') as f:
                    environ = f.read().split(b'\0')
                assert b'FOREVER_SCALE_CALLER=yes' in environ, p['uid']
                assert ('%s=%s' % (MARK, p['uid'])).encode() in environ, p['uid']

            t0 = time.monotonic()
            env.ctl('stopall', timeout=600)
            print('    stopall at %d: %.2f s' % (N, time.monotonic() - t0))
            assert env.ctl_json('list') == []
            wait_for(lambda: not live_by_marker(), timeout=60,
                     what='every tiny child gone')
    finally:
        restore_limits(saved)


def listed_uids(env):
    """The uids foreverd lists, by one ListColumns call (cheap to repeat)."""
    r = env.run(['busctl', '--user', '--json=short', 'call', 'org.forever.Forever1',
                 '/org/forever/Forever1', 'org.forever.Forever1.Manager', 'ListColumns',
                 'as', '1', 'Uid'])
    return json.loads(r.stdout)['data'][0][1]  # the columns in order: Path, Uid, ...


def test_bulk_start_leaves_the_loop_free_and_stopall_cancels_its_rest():
    """A StartMany spawns a slice per loop iteration: a call made meanwhile
    is answered with the apps started so far (all in one dispatch, 10 000
    spawns held every call, and the watchdog, for seconds). A stopall in the
    middle stops those and cancels the rest, which the start reports. With
    5000 apps at least, so the start lasts well beyond the few client calls
    (each a process start) between its first slices and the stopall."""
    n = max(N, 5000)
    saved = raise_limits(n)
    try:
        with Env() as env:
            env.start_daemon()
            config = write_config(env, n)
            starter = env.popen([os.environ['FOREVERCTL'], 'start', config],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            counts = []

            def partly_started():
                counts.append(len(listed_uids(env)))
                return 0 < counts[-1] < n
            wait_for(partly_started, timeout=120, interval=0.005,
                     what='a list answered in the middle of the bulk start')
            stopped = env.ctl_json('stopall', timeout=600)
            out, err = starter.communicate(timeout=600)
            print('    listed %s during the start; stopall stopped %d of %d'
                  % (counts[-3:], len(stopped), n))
            assert 0 < len(stopped) < n, len(stopped)
            assert starter.returncode != 0, (out, err)
            assert 'of %d not started' % n in err and 'stopall' in err, err
            assert listed_uids(env) == []
            wait_for(lambda: not live_by_marker(), timeout=60, what='every tiny child gone')
    finally:
        restore_limits(saved)


def test_stop_of_an_app_still_queued_in_a_bulk_start_cancels_it():
    """`stop UID` of an app the bulk start has not reached: answered at once,
    the app never starts, the start reports it, every other app runs."""
    saved = raise_limits(N)
    try:
        with Env() as env:
            env.start_daemon()
            config = write_config(env, N)
            last = 'a%05d' % (N - 1)
            starter = env.popen([os.environ['FOREVERCTL'], 'start', config],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: listed_uids(env), timeout=120, interval=0.005,
                     what='the bulk start under way')
            assert env.ctl_json('stop', last) == [last]
            out, err = starter.communicate(timeout=600)
            assert starter.returncode == 1, (out, err)
            assert err.strip().endswith(
                '1 of %d not started: app %d: stopped before its turn to start' % (N, N - 1)), err
            listed = listed_uids(env)
            assert len(listed) == N - 1 and last not in listed
            wait_for(lambda: len(live_by_marker()) == N - 1, timeout=60,
                     what='every other tiny child running')
            assert last not in live_by_marker()
            env.ctl('stopall', timeout=600)
    finally:
        restore_limits(saved)


def test_kill9_during_bulk_start_successor_runs_each_reported_app_once():
    saved = raise_limits(N)
    try:
        with Env() as env:
            d = env.start_daemon()
            # What a client has been told is running: the apps of every
            # StartMany that replied (foreverctl start CHUNK.json sends one
            # and exits 0 on its per-app results, each path and no error).
            # Twenty chunks in a row, foreverd killed once half replied.
            chunk = N // 20
            configs = [write_config(env, chunk, 'chunk%02d.json' % k, k * chunk)
                       for k in range(20)]
            reported = []
            starter = {'proc': None}

            def next_chunk():
                proc = starter['proc']
                if proc is not None:
                    if proc.poll() is None:
                        return False
                    if proc.returncode != 0:
                        return True  # the daemon died under it: nothing reported
                    done = len(reported) // chunk
                    reported.extend('a%05d' % i for i in range(done * chunk, (done + 1) * chunk))
                if len(reported) >= N // 2:
                    return True
                starter['proc'] = env.popen([os.environ['FOREVERCTL'], 'start',
                                             configs[len(reported) // chunk]])
                return False
            wait_for(next_chunk, timeout=600, interval=0.01, what='half the apps reported')
            # A further StartMany is under way when the kill comes: some of
            # its children spawned, none of them reported (nor, unless the
            # batch was quick, recorded): the successor must find them.
            first = len(reported)
            starter['proc'] = env.popen([os.environ['FOREVERCTL'], 'start',
                                         configs[first // chunk]])
            in_flight = {'a%05d' % i for i in range(first, first + chunk)}
            wait_for(lambda: in_flight & set(live_by_marker()), timeout=60, interval=0.002,
                     what='the in-flight StartMany spawning')
            d.kill9()
            starter['proc'].wait(60)
            before = live_by_marker()
            assert all(len(pids) == 1 for pids in before.values()), \
                'twice before the kill:\n' + describe_twice(before)

            env.start_daemon(timeout=300)
            after = {p['uid']: p for p in env.ctl_json('list', timeout=120)}
            missing = [u for u in reported if u not in after]
            assert not missing, '%d reported apps lost, e.g. %s' % (len(missing), missing[:5])

            def settled():
                live = live_by_marker()
                return all(len(live.get(uid, [])) == 1 for uid in after) and \
                    all(uid in after for uid in live)
            wait_for(settled, timeout=120, interval=0.2,
                     what='each restored app running exactly once, no orphan left')
            live = live_by_marker()
            for uid, p in after.items():
                assert live[uid] == [p['pid']], (uid, live[uid], p)
                assert pid_alive(p['pid'])
            print('    kill -9 after %d of %d listed: %d restored, each running once'
                  % (len(reported), N, len(after)))
            env.ctl('stopall', timeout=600)
            wait_for(lambda: not live_by_marker(), timeout=60, what='every tiny child gone')
    finally:
        restore_limits(saved)


if __name__ == '__main__':
    sys.exit(run())
