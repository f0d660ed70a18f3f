#!/usr/bin/python3
"""`foreverctl start forever.json|forever.toml`: every app or none, with
file:line:col errors, env and env_NAME sections."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, run, wait_for  # noqa: E402

ensure_sandbox()


def first_line(path):
    return json.loads(wait_for(lambda: open(path).readline(), what='output in %s' % path))


def test_forever_json_starts_every_app():
    with Env() as env:
        env.start_daemon()
        os.symlink(env.fixture('echo_args.js'), env.path('server.js'))
        with open(env.path('forever.json'), 'w') as f:
            json.dump([{'uid': 'api', 'script': 'server.js', 'args': ['--port', '3000'],
                        'outFile': 'logs/api.log', 'env': {'NODE_ENV': 'production', 'PORT': 3000},
                        'max': 3},
                       {'uid': 'worker', 'script': 'server.js', 'outFile': 'logs/worker.log'}], f)
        # The environment is the caller's, then the file's env, then --env.
        r = env.ctl('start', '--env', 'LEVEL=debug', 'forever.json', cwd=env.dir,
                    extra_env={'FROM_CALLER': 'yes', 'PORT': '1', 'LEVEL': 'info'})
        assert r.stdout.count('started') == 2, r.stdout
        # Each line names its app and the pid it got, in the file's order.
        listed = {p['uid']: p['pid'] for p in env.ctl_json('list')}
        lines = r.stdout.splitlines()
        assert lines[0].startswith('started api ') and lines[0].endswith('pid %d' % listed['api'])
        assert lines[1].startswith('started worker ') and \
            lines[1].endswith('pid %d' % listed['worker'])
        api = first_line(env.path('logs', 'api.log'))
        assert api['argv'] == ['--port', '3000'] and api['env']['PORT'] == '3000'
        assert api['env']['NODE_ENV'] == 'production' and api['cwd'] == env.dir
        assert api['env']['FROM_CALLER'] == 'yes' and api['env']['LEVEL'] == 'debug', api['env']
        worker = first_line(env.path('logs', 'worker.log'))
        assert worker['env']['PORT'] == '1' and worker['env']['FROM_CALLER'] == 'yes'
        assert worker['env']['LEVEL'] == 'debug' and 'NODE_ENV' not in worker['env'], worker['env']
        assert [p['uid'] for p in env.ctl_json('list')] == ['api', 'worker']
        # Again: refused whole, nothing doubled.
        r = env.ctl('start', env.path('forever.json'), check=False)
        assert r.returncode == 1 and 'already running' in r.stderr, r
        assert len(env.ctl_json('list')) == 2


def test_bad_file_is_refused_whole_with_position():
    with Env() as env:
        env.start_daemon()
        path = env.path('bad.json')
        with open(path, 'w') as f:
            f.write('[\n  {"uid": "ok", "script": "%s"},\n  {"uid": "typo", "scirpt": "x.js"}\n]\n'
                    % env.fixture('forever_app.js'))
        r = env.ctl('start', path, check=False)
        assert r.returncode == 2, r
        assert r.stderr == "foreverctl: %s:3:19: unknown key 'scirpt' (did you mean 'script'?)\n" \
            % path, r.stderr
        assert env.ctl_json('list') == []  # not even the good first app


def test_forever_toml_with_env_profile():
    with Env() as env:
        env.start_daemon()
        with open(env.path('forever.toml'), 'w') as f:
            f.write('[[app]]\nuid = "web"\nscript = "%s"\noutFile = "web.log"\n'
                    '[app.env]\nPORT = 3000\n[app.env_production]\nPORT = 80\n'
                    % env.fixture('echo_args.js'))
        env.ctl('start', '--env', 'production', env.path('forever.toml'))
        info = first_line(env.path('web.log'))
        assert info['env']['PORT'] == '80' and info['env']['NODE_ENV'] == 'production', info['env']


def test_instance_uids_are_checked_before_anything_starts():
    with Env() as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'api-1', env.fixture('forever_app.js'))
        path = env.path('forever.json')
        with open(path, 'w') as f:
            json.dump([{'uid': 'web', 'script': env.fixture('forever_app.js')},
                       {'uid': 'api', 'instances': 2, 'script': env.fixture('forever_app.js')}], f)
        r = env.ctl('start', path, check=False)
        assert r.returncode == 1 and "uid 'api-1' is already running" in r.stderr, r
        assert [p['uid'] for p in env.ctl_json('list')] == ['api-1']


if __name__ == '__main__':
    sys.exit(run())
