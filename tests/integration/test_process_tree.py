#!/usr/bin/python3
"""Stopping takes the whole tree: a grandchild holding a TCP port, orphans
that double-forked away, the kill signal, the SIGKILL escalation."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import (Env, descendants, ensure_sandbox, free_port, pid_alive,  # noqa: E402
                             port_free, run, wait_for, zombies_of)

ensure_sandbox()

ORPHANER = r'''
'use strict';
// Double-forks a sleeper that leaves our process group (setsid) and prints
// its pid; the app itself then crashes after a while or lives on.
const { spawnSync } = require('child_process');
const r = spawnSync('/bin/sh', ['-c', 'setsid sleep 300 >/dev/null 2>&1 & echo $!']);
console.log(`orphan ${r.stdout.toString().trim()}`);
// Crashes after argv[2] ms the first time only (argv[3] marks it done).
const fs = require('fs');
const crashAfter = Number(process.argv[2] || 0);
setInterval(() => {}, 1 << 30);
if (crashAfter && !fs.existsSync(process.argv[3])) {
  fs.writeFileSync(process.argv[3], 'crashed');
  setTimeout(() => process.exit(1), crashAfter);
}
'''


def read_line(path, prefix, timeout=10):
    def found():
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split()
        return None
    return wait_for(found, timeout=timeout, what='%r in %s' % (prefix, path))


def test_stop_frees_the_grandchilds_port():
    for extra in ([], ['--killTree']):
        with Env() as env:
            env.start_daemon()
            port = free_port()
            log = env.path('tree.log')
            env.ctl('start', '--uid', 'tree', '-o', log, *extra,
                    env.fixture('grandchild_port.js'), port)
            words = read_line(log, 'listening')
            child = int(words[2])
            parent = int(read_line(log, 'parent')[1])
            assert child in descendants(parent)
            assert not port_free(port)
            env.ctl('stop', 'tree')
            wait_for(lambda: port_free(port), timeout=3, what='port %d to be free' % port)
            assert not pid_alive(child) and not pid_alive(parent), extra
            # Orphans are reaped by a sweep at most 50 ms after their SIGCHLD
            # (a run is reaped at once, through its pidfd).
            wait_for(lambda: not zombies_of(env.daemon.pid), timeout=2,
                     what='no zombie left under foreverd')


def test_restart_frees_the_port_for_the_new_run():
    with Env() as env:
        env.start_daemon()
        port = free_port()
        log = env.path('tree.log')
        env.ctl('start', '--uid', 'tree', '-o', log, env.fixture('grandchild_port.js'), port)
        read_line(log, 'listening')
        env.ctl('restart', 'tree')
        # The new run's child binds the same port: only possible if the old
        # child is gone (the EADDRINUSE trap PM2 users know).
        wait_for(lambda: open(log).read().count('listening %d' % port) == 2, timeout=5,
                 what='the restarted grandchild to listen again')
        assert 'EADDRINUSE' not in open(log).read()


def test_orphans_are_reaped_and_killed_with_killtree():
    with Env() as env:
        env.start_daemon()
        script = env.path('orphaner.js')
        with open(script, 'w') as f:
            f.write(ORPHANER)
        log = env.path('o.log')
        # A crashing app whose orphan left its group: the orphan is ours
        # (subreaper), never a zombie, and --killTree ends it on stop.
        env.ctl('start', '--uid', 'orph', '--killTree', '--minUptime', 0, '-m', 1, '-o', log,
                script, 300, env.path('crashed-once'))
        first = int(read_line(log, 'orphan')[1])
        wait_for(lambda: env.ctl_json('list')[0]['restarts'] == 1, what='one restart')

        def orphans():
            return [int(w.split()[1]) for w in open(log) if w.startswith('orphan')]
        wait_for(lambda: len(orphans()) == 2, what="the second run's orphan")
        # The first run's stray went with its run (it had left the group, so
        # only its FOREVER_UID gave it away), and was reaped.
        wait_for(lambda: not pid_alive(first), timeout=3, what='the first orphan to be stopped')
        second = orphans()[1]
        assert pid_alive(second) and second in descendants(env.daemon.pid)
        wait_for(lambda: not zombies_of(env.daemon.pid), timeout=2,
                 what='no zombie left under foreverd')
        time.sleep(0.5)
        assert pid_alive(second) and env.ctl_json('list')[0]['state'] == 'running'
        env.ctl('stop', 'orph')
        wait_for(lambda: not pid_alive(second), timeout=3, what='the second orphan to be stopped')
        wait_for(lambda: not zombies_of(env.daemon.pid), timeout=2,
                 what='no zombie left under foreverd')


def test_kill_signal_and_escalation():
    with Env() as env:
        env.start_daemon()
        got = env.path('signals.txt')
        log = env.path('s.log')
        env.ctl('start', '--uid', 'sig', '--killSignal', 'SIGINT', '-o', log,
                env.fixture('signal_logger.js'), got)
        read_line(log, 'started')
        env.ctl('stop', 'sig')
        assert open(got).read().split() == ['SIGINT']

        log2 = env.path('t.log')
        env.ctl('start', '--uid', 'stubborn', '--killTimeout', 700, '-o', log2,
                env.fixture('ignore_term.js'))
        pid = int(read_line(log2, 'started')[1])
        t0 = time.monotonic()
        env.ctl('stop', 'stubborn')
        took = time.monotonic() - t0
        assert not pid_alive(pid)
        assert 0.65 <= took <= 3, took
        assert 'ignoring SIGTERM' in open(log2).read()


if __name__ == '__main__':
    sys.exit(run())
