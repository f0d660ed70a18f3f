#!/usr/bin/python3
"""examples/express end to end: npm install express (skipped, saying why,
when the registry is unreachable), start it from its forever.json through
foreverctl, GET /health, kill it, and it answers again."""

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, free_port, run, wait_for  # noqa: E402

ensure_sandbox()

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'examples',
                       'express')


def get(port, path):
    with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=2) as r:
        return r.status, json.loads(r.read())


def test_express_example():
    if shutil.which('npm') is None:
        raise Skip('npm is not installed')
    with Env() as env:
        app = env.path('express')
        shutil.copytree(EXAMPLE, app)
        try:
            r = subprocess.run(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'],
                               cwd=app, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=180, env=dict(env.env, npm_config_cache=env.path('npm-cache')))
        except subprocess.TimeoutExpired:
            raise Skip('npm install express timed out (registry unreachable?)')
        if r.returncode != 0:
            raise Skip('npm install express failed (registry unreachable?): %s'
                       % r.stdout.strip().splitlines()[-1:])
        port = free_port()
        config = json.load(open(os.path.join(app, 'forever.json')))
        config['env']['PORT'] = port
        json.dump(config, open(os.path.join(app, 'forever.json'), 'w'))
        env.start_daemon()
        env.ctl('start', os.path.join(app, 'forever.json'))
        status, body = wait_for(lambda: get(port, '/health'), timeout=15, what='/health')
        assert status == 200 and body['status'] == 'healthy' and 'rss' in body['memory']
        status, body = get(port, '/')
        first = body['processId']
        assert env.ctl_json('list')[0]['pid'] == first
        os.kill(first, signal.SIGKILL)
        status, body = wait_for(lambda: (lambda r: r if r[1]['processId'] != first else None)(
            get(port, '/')), timeout=15, what='the app to answer again')
        assert status == 200
        p = env.ctl_json('list')[0]
        assert p['restarts'] == 1 and p['exitSignal'] == 'SIGKILL'
        out = open(os.path.join(app, 'logs', 'out.log')).read()
        assert out.count('server listening on port %d' % port) == 2, out

        # The README's zero-downtime deploy: foreverd holds the port, the
        # health URL gates the swap, and / answers all along.
        env.ctl('stop', 'my-app')
        port = free_port()
        env.ctl('start', '--uid', 'web', '--listen', port, '--health-url',
                'http://127.0.0.1:%d/health' % port, os.path.join(app, 'server.js'))
        status, body = wait_for(lambda: get(port, '/'), timeout=15, what='web on fd 3')
        old = body['processId']
        answers = []
        reload = env.popen([os.environ['FOREVERCTL'], 'reload', 'web'], stdout=-1)
        while reload.poll() is None:
            answers.append(get(port, '/')[1]['processId'])  # raises on any refusal
        assert reload.returncode == 0
        new = env.ctl_json('list')[0]['pid']
        assert new != old and get(port, '/')[1]['processId'] == new
        assert old in answers and len(answers) > 10, answers


if __name__ == '__main__':
    sys.exit(run())
