"""Helpers for the forever-web tests: start forever-web in an Env, talk
HTTP to it with the stdlib (raw sockets when a test must send what no
client library would)."""

import http.client
import json
import os
import socket
import time

from forever_harness import free_port, wait_for


def forever_web_binary():
    path = os.environ.get('FOREVER_WEB')
    if not path:
        raise AssertionError('FOREVER_WEB is not set (path of the forever-web binary)')
    return path


class Web:
    """forever-web started by hand (--listen) inside an Env."""

    def __init__(self, env, extra_args=(), port=None):
        self.env = env
        self.port = port or free_port()
        self.host = '127.0.0.1:%d' % self.port
        log = open(env.path('forever-web.log'), 'ab')
        self.proc = env.popen([forever_web_binary(), '--listen', self.host] + list(extra_args),
                              stdout=log, stderr=log)
        log.close()
        self.token_path = os.path.join(env.runtime_dir, 'forever', 'web-token')
        wait_for(lambda: self.request('GET', '/api/processes')[0] == 200, timeout=10,
                 what='forever-web answering')
        with open(self.token_path) as f:
            self.token = f.read().strip()

    @property
    def url(self):
        return 'http://%s/#token=%s' % (self.host, self.token)

    def request(self, method, path, headers=None, body=None, timeout=10):
        """(status, headers dict, body bytes)."""
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def get_json(self, path):
        status, _, body = self.request('GET', path)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def act(self, uid, verb, token=None):
        token = self.token if token is None else token
        headers = {'Authorization': 'Bearer ' + token} if token else {}
        return self.request('POST', '/api/processes/%s/%s' % (uid, verb), headers=headers,
                            timeout=60)

    def raw(self, data, timeout=5):
        """Send bytes as they are; return what came back before the close."""
        s = socket.create_connection(('127.0.0.1', self.port), timeout=timeout)
        try:
            s.sendall(data)
            out = b''
            while True:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def sse(self, path, until, timeout=15):
        """Reads the event stream at `path` until until(events) is true
        (events: [(name, data)]) or `timeout` s pass; returns the events."""
        s = socket.create_connection(('127.0.0.1', self.port), timeout=1)
        deadline = time.monotonic() + timeout
        events, buf = [], b''
        try:
            s.sendall(b'GET ' + path.encode() + b' HTTP/1.0\r\nHost: ' + self.host.encode() +
                      b'\r\nAccept: text/event-stream\r\n\r\n')
            while time.monotonic() < deadline and not until(events):
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                buf += chunk
                # HTTP/1.0: no chunked framing, the stream is the body as
                # it is, "event: NAME\ndata: DATA\n\n" per event.
                while b'\n\n' in buf:
                    block, buf = buf.split(b'\n\n', 1)
                    name = data = None
                    for line in block.decode(errors='replace').split('\n'):
                        if line.startswith('event: '):
                            name = line[7:]
                        elif line.startswith('data: '):
                            data = line[6:]
                    if name:
                        events.append((name, data))
            return events
        finally:
            s.close()

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(10)


def first_pid(env, uid):
    for p in env.ctl_json('list'):
        if p['uid'] == uid and p['state'] == 'running' and p['pid']:
            return p['pid']
    return None
