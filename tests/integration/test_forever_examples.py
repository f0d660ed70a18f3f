#!/usr/bin/python3
"""The command lines forever users already have, typed as they are, through
the `forever` alias: the examples of forever's README and of the guide in
SPEC §7 (server.js with -o/-e, --uid, --env, forever.json, several apps)."""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, pid_alive, run, wait_for  # noqa: E402

ensure_sandbox()


class Project:
    """A directory laid out like the guide's, and `forever` run inside it."""

    def __init__(self, env):
        self.env = env
        self.dir = env.path('project')
        for sub in ('', 'api', 'worker', 'scheduler'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for script in ('server.js', 'app.js', 'my-script.js', 'api/server.js',
                       'worker/processor.js', 'scheduler/cron.js'):
            shutil.copy(env.fixture('echo_args.js'), os.path.join(self.dir, script))
        self.alias = env.path('bin', 'forever')
        os.makedirs(os.path.dirname(self.alias), exist_ok=True)
        os.symlink(os.environ['FOREVERCTL'], self.alias)

    def forever(self, line, check=True):
        return self.env.run([self.alias] + line.split(), cwd=self.dir, check=check)

    def listed(self):
        return json.loads(self.forever('list --json').stdout)


def output_of(path):
    return json.loads(wait_for(lambda: open(path).readline(), what='output in %s' % path))


def test_forever_readme_examples():
    with Env() as env:
        env.start_daemon()
        p = Project(env)
        p.forever('start app.js')
        p.forever('start -l forever.log -o out.log -e err.log my-script.js')
        info = output_of(os.path.join(p.dir, 'out.log'))
        assert info['cwd'] == p.dir
        assert os.path.exists(os.path.join(p.dir, 'forever.log'))
        listed = p.listed()
        assert [os.path.basename(x['script']) for x in listed] == ['app.js', 'my-script.js']
        assert 'my-script.js' in p.forever('list').stdout
        first = listed[0]['pid']
        p.forever('restart 0')
        assert not pid_alive(first)
        p.forever('stop my-script.js')
        p.forever('stop 0')
        assert p.listed() == []
        p.forever('start app.js')
        p.forever('start -m 5 app.js --port 8080')
        assert p.forever('stopall').stdout.count('stopped') == 2
        p.forever('--help')
        p.forever('--version')


def test_guide_examples():
    with Env() as env:
        env.start_daemon()
        p = Project(env)
        p.forever('start server.js')
        p.forever('start -o logs/out.log -e logs/err.log server.js')
        assert output_of(os.path.join(p.dir, 'logs', 'out.log'))['argv'] == []
        p.forever('start --uid my-app server.js')
        p.forever('start --uid prod --env production -o prod.log server.js')
        assert output_of(os.path.join(p.dir, 'prod.log'))['env']['NODE_ENV'] == 'production'
        p.forever('start --uid big --max-old-space-size=1024 -o big.log server.js')
        big = output_of(os.path.join(p.dir, 'big.log'))
        assert big['execArgv'] == ['--max-old-space-size=1024'] and big['argv'] == []
        p.forever('start --uid api-server api/server.js')
        p.forever('start --uid worker worker/processor.js')
        p.forever('start --uid scheduler scheduler/cron.js')
        uids = [x['uid'] for x in p.listed()]
        for uid in ('my-app', 'prod', 'big', 'api-server', 'worker', 'scheduler'):
            assert uid in uids, uids
        p.forever('stopall')
        with open(os.path.join(p.dir, 'forever.json'), 'w') as f:
            json.dump({'uid': 'my-app', 'append': True, 'watch': False, 'script': 'server.js',
                       'sourceDir': p.dir, 'logFile': 'logs/forever.log',
                       'outFile': 'logs/app-out.log', 'errFile': 'logs/app-err.log',
                       'env': {'NODE_ENV': 'production', 'PORT': 3000}, 'max': 5,
                       'minUptime': 1000, 'spinSleepTime': 1000, 'killSignal': 'SIGTERM',
                       'killTree': True}, f)
        p.forever('start forever.json')
        info = output_of(os.path.join(p.dir, 'logs', 'app-out.log'))
        assert info['env']['PORT'] == '3000' and info['env']['NODE_ENV'] == 'production'
        assert p.forever('logs').stdout.count('app-out.log') == 1
        time.sleep(0.2)
        assert p.forever('stop my-app').stdout.strip() == 'stopped my-app'


if __name__ == '__main__':
    sys.exit(run())
