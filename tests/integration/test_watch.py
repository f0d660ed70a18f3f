#!/usr/bin/python3
"""Watch mode (-w): an edit means exactly one restart; ignored paths
(node_modules, dot-files, --watchIgnore, .foreverignore) mean none; new
directories are watched too."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, run, wait_for  # noqa: E402

ensure_sandbox()


def restarts(env):
    return env.ctl_json('list')[0]['restarts']


def settle(env, expected, what):
    wait_for(lambda: restarts(env) == expected, timeout=5, what=what)
    time.sleep(0.8)  # longer than the debounce: nothing more may follow
    assert restarts(env) == expected, what


def test_watch_restarts_once_per_burst_and_ignores():
    with Env(journal=True) as env:
        env.start_daemon()
        app = env.path('app')
        os.makedirs(os.path.join(app, 'node_modules', 'dep'))
        shutil.copy(env.fixture('forever_app.js'), os.path.join(app, 'server.js'))
        with open(os.path.join(app, '.foreverignore'), 'w') as f:
            f.write('# generated\ndata/**\n')
        env.ctl('start', '--uid', 'w', '-w', '--watchIgnore', '*.log',
                os.path.join(app, 'server.js'))
        first = env.ctl_json('list')[0]['pid']
        time.sleep(0.3)

        # A burst of writes to one file, and another file: one restart.
        for i in range(5):
            with open(os.path.join(app, 'server.js'), 'a') as f:
                f.write('// edit %d\n' % i)
        with open(os.path.join(app, 'config.js'), 'w') as f:
            f.write('module.exports = {};\n')
        settle(env, 1, 'one restart for the burst')
        assert env.ctl_json('list')[0]['pid'] != first
        entries = env.wait_journal(FOREVER_UID='w', FOREVER_EVENT='watch')
        assert len(entries) == 1 and 'changed; restarting' in entries[0]['MESSAGE']

        # None of these restart it.
        with open(os.path.join(app, 'node_modules', 'dep', 'index.js'), 'w') as f:
            f.write('x')
        with open(os.path.join(app, '.env'), 'w') as f:
            f.write('X=1')
        with open(os.path.join(app, 'server.log'), 'w') as f:
            f.write('log line')
        os.makedirs(os.path.join(app, 'data', 'deep'))
        with open(os.path.join(app, 'data', 'deep', 'db.json'), 'w') as f:
            f.write('{}')
        settle(env, 1, 'ignored paths to restart nothing')

        # A new directory is watched as soon as it appears.
        os.makedirs(os.path.join(app, 'lib'))
        time.sleep(0.5)
        settle(env, 2, 'creating lib/ counts as one change')
        with open(os.path.join(app, 'lib', 'util.js'), 'w') as f:
            f.write('module.exports = 1;\n')
        settle(env, 3, 'an edit inside the new directory')

        # Stopped: no more watching.
        env.ctl('stop', 'w')
        with open(os.path.join(app, 'server.js'), 'a') as f:
            f.write('// after stop\n')
        time.sleep(0.6)
        assert env.ctl_json('list') == []


if __name__ == '__main__':
    sys.exit(run())
