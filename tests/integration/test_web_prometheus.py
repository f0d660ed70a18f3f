#!/usr/bin/python3
"""A real Prometheus scraping forever-web: forever_process_up{uid} reaches
1, a kill -9 makes forever_process_restarts_total rise; `promtool check
metrics` finds nothing to say about the exposition."""

import json
import os
import shutil
import signal
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, free_port, run, wait_for  # noqa: E402
from web_helpers import Web, first_pid  # noqa: E402

ensure_sandbox()


def query(port, expr):
    url = 'http://127.0.0.1:%d/api/v1/query?%s' % (port, urllib.parse.urlencode({'query': expr}))
    with urllib.request.urlopen(url, timeout=5) as r:
        result = json.load(r)['data']['result']
    return float(result[0]['value'][1]) if result else None


def test_prometheus_scrapes_forever_web():
    prometheus, promtool = shutil.which('prometheus'), shutil.which('promtool')
    if not prometheus or not promtool:
        raise Skip('prometheus/promtool not installed (Debian package prometheus)')
    with Env() as env:
        env.start_daemon(extra_args=['--sample-interval', '500'])
        env.ctl('start', '--uid', 'scraped', env.fixture('forever_app.js'))
        wait_for(lambda: first_pid(env, 'scraped'), what='app running')
        web = Web(env)
        status, headers, body = web.request('GET', '/metrics')
        assert status == 200 and headers['Content-Type'].startswith('text/plain; version=0.0.4')
        check = env.run([promtool, 'check', 'metrics'], input=body.decode(), check=False)
        assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), \
            (check.stdout, check.stderr)
        status, headers, body = web.request(
            'GET', '/metrics', headers={'Accept': 'application/openmetrics-text; version=1.0.0'})
        assert body.endswith(b'# EOF\n') and 'openmetrics' in headers['Content-Type']

        port = free_port()
        config = env.path('prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
                    'scrape_configs:\n  - job_name: forever\n'
                    '    static_configs:\n      - targets: ["%s"]\n' % web.host)
        log = open(env.path('prometheus.log'), 'ab')
        env.popen([prometheus, '--config.file=' + config,
                   '--storage.tsdb.path=' + env.path('tsdb'),
                   '--web.listen-address=127.0.0.1:%d' % port], stdout=log, stderr=log)
        log.close()
        up = 'forever_process_up{uid="scraped"}'
        wait_for(lambda: query(port, up) == 1, timeout=30, interval=0.5, what=up + ' == 1')
        restarts = 'forever_process_restarts_total{uid="scraped"}'
        before = wait_for(lambda: query(port, restarts) is not None and [query(port, restarts)],
                          timeout=10, interval=0.5, what='restarts scraped')[0]
        os.kill(first_pid(env, 'scraped'), signal.SIGKILL)
        wait_for(lambda: (query(port, restarts) or 0) > before, timeout=30, interval=0.5,
                 what='forever_process_restarts_total rising after kill -9')
        cpu = query(port, 'forever_process_cpu_seconds_total{uid="scraped"}')
        assert cpu is not None and cpu >= 0, cpu
        assert query(port, 'forever_supervisor_up') == 1


if __name__ == '__main__':
    sys.exit(run())
