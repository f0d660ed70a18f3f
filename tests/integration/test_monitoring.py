#!/usr/bin/python3
"""Monitoring (SPEC §6): CPU and RSS of the whole tree sampled into a ring,
shown by list/status and --json; maxMemory restarts a tree that grows past it."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, descendants, ensure_sandbox, run, wait_for  # noqa: E402

ensure_sandbox()


def rss_of_tree(pid):
    total = 0
    for p in [pid] + descendants(pid):
        try:
            with open('/proc/%d/statm' % p) as f:
                total += int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
        except OSError:
            pass
    return total


def test_figures_in_list_and_status():
    with Env() as env:
        env.start_daemon(extra_args=['--sample-interval', 200])
        port = 0
        env.ctl('start', '--uid', 'tree', env.fixture('grandchild_port.js'), port)
        info = wait_for(lambda: next((p for p in env.ctl_json('list')
                                      if p['uid'] == 'tree' and p['samples'] >= 3), None),
                        what='three samples')
        # The whole tree: parent and child node processes, ~2 x 40 MB.
        measured = rss_of_tree(info['pid'])
        assert len(descendants(info['pid'])) >= 1
        assert 0.5 * measured <= info['memory'] <= 1.5 * measured, (info['memory'], measured)
        assert info['memoryAverage'] > 0 and info['cpu'] >= 0 and info['cpuAverage'] >= 0
        table = env.ctl('list').stdout
        assert 'cpu' in table.splitlines()[0] and 'memory' in table.splitlines()[0], table
        assert ' MB' in table, table
        status = env.ctl('status', 'tree').stdout
        assert 'average of' in status and 'memory' in status, status
        js = env.ctl_json('status', 'tree')
        assert js[0]['uid'] == 'tree' and js[0]['samples'] >= 3


def test_max_memory_restarts_the_app():
    with Env(journal=True) as env:
        env.start_daemon(extra_args=['--sample-interval', 200])
        env.ctl('start', '--uid', 'hog', '--maxMemory', '120M', env.fixture('hog.js'), 40)
        first = env.ctl_json('list')[0]['pid']
        after = wait_for(lambda: next((p for p in env.ctl_json('list')
                                       if p['restarts'] >= 1 and p['pid']), None),
                         timeout=20, what='a maxMemory restart')
        assert after['pid'] != first and after['maxMemory'] == 120 * 1048576
        entries = env.wait_journal(SYSLOG_IDENTIFIER='foreverd',
                                   predicate=lambda es: any('maxMemory' in e['MESSAGE'] for e in es))
        assert any('hog' in e['MESSAGE'] for e in entries)


if __name__ == '__main__':
    sys.exit(run())
