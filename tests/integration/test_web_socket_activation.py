#!/usr/bin/python3
"""forever-web under the real `systemd --user` of the harness, from the
project's units: the socket is listening with no forever-web running, the
first connection starts it, it exits when idle, the next connection starts
it again."""

import http.client
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import (Env, ensure_sandbox, free_port, render_template, run,  # noqa: E402
                             source_path, wait_for)
from user_manager import private_manager_with_forever  # noqa: E402
from web_helpers import forever_web_binary  # noqa: E402

ensure_sandbox()


def get(port, path):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        c.request('GET', path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def test_socket_activation_and_idle_exit():
    with Env(journal=True) as env:
        um = private_manager_with_forever(env)
        um.systemctl('start', 'forever.service')
        port = free_port()
        with open(source_path('units', 'forever-web.socket')) as f:
            socket_unit = f.read().replace('127.0.0.1:9615', '127.0.0.1:%d' % port)
        assert 'ListenStream=127.0.0.1:%d' % port in socket_unit
        um.install_unit('forever-web.socket', socket_unit, reload=False)
        service = render_template(source_path('units', 'forever-web.service.in'),
                                  bindir=os.path.dirname(os.path.abspath(forever_web_binary())))
        # The real unit with a short idle time, so the test need not wait a minute.
        service = service.replace('/forever-web\n', '/forever-web --idle-exit 2\n')
        assert '--idle-exit 2' in service
        um.install_unit('forever-web.service', service)
        um.systemctl('start', 'forever-web.socket')
        assert um.active_state('forever-web.socket') == 'active'
        assert um.active_state('forever-web.service') == 'inactive'

        try:
            status, body = get(port, '/metrics')
        except OSError:
            print(um.systemctl('status', 'forever-web.service', check=False).stdout)
            print(env.run(['journalctl', '--no-pager', '-n', '30'], check=False).stdout)
            raise
        assert status == 200 and b'forever_supervisor_up 1' in body, (status, body[:200])
        first = wait_for(lambda: um.main_pid('forever-web.service'), what='forever-web started')
        try:
            wait_for(lambda: um.active_state('forever-web.service') == 'inactive', timeout=15,
                     interval=0.2, what='idle exit')
        except AssertionError:
            print(um.systemctl('status', 'forever-web.service', check=False).stdout)
            print(env.run(['journalctl', '--no-pager', '-n', '40'], check=False).stdout)
            raise
        status, _ = get(port, '/api/processes')
        assert status == 200
        second = wait_for(lambda: um.main_pid('forever-web.service'), what='started again')
        assert second != first, (first, second)
        um.systemctl('stop', 'forever-web.socket', 'forever-web.service')


if __name__ == '__main__':
    sys.exit(run())
