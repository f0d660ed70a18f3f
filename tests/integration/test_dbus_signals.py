#!/usr/bin/python3
"""The signals a watcher (forever-web, busctl) reads, seen on the bus by
`busctl monitor`: a process's PropertiesChanged carries every moving
property with the value Get answers (foreverd builds that message itself,
not through sd-bus's tables); a stop is announced as "stopping", then
Manager.ProcessExited, then ObjectManager.InterfacesRemoved, in that order."""

import json
import os
import select
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, run, wait_for  # noqa: E402

ensure_sandbox()

IFACE = 'org.forever.Forever1.Process'
# The properties announced on every change, and their D-Bus types.
MOVING = {'MainPID': 'u', 'State': 's', 'Restarts': 'u', 'StartedAt': 't', 'ExitCode': 'i',
          'ExitSignal': 'i', 'RecentCrashes': 'u', 'Reason': 's', 'StatusText': 's',
          'Ready': 'b'}


class Monitor:
    """`busctl monitor` of foreverd's messages, one JSON object a line."""

    def __init__(self, env):
        self.proc = env.popen(['busctl', '--user', 'monitor', '--json=short',
                               'org.forever.Forever1'], stdout=__import__('subprocess').PIPE)
        self.buffer = b''
        self.seen = []

    def read(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.proc.stdout], [], [], end - time.monotonic())
            if not ready:
                break
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split(b'\n')
            for line in lines:
                if line.strip():
                    self.seen.append(json.loads(line))
        return self.seen

    def signals(self, path):
        return [m for m in self.seen if m.get('type') == 'signal' and
                (m.get('path') == path or (m.get('payload', {}).get('data') or [None])[0] == path)]

    def wait(self, what, predicate, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.read(0.2)
            if predicate():
                return
        raise AssertionError('no %s on the bus; saw %s' % (what, json.dumps(self.seen)[-3000:]))


def get(env, path, name):
    r = env.run(['busctl', '--user', '--json=short', 'get-property', 'org.forever.Forever1',
                 path, IFACE, name])
    return json.loads(r.stdout)


def test_properties_changed_and_the_order_of_a_stop():
    if shutil.which('busctl') is None:
        raise Skip('busctl not installed')
    with Env() as env:
        env.start_daemon()
        monitor = Monitor(env)
        # busctl becomes a monitor a moment after it starts: probe apps are
        # started until one's InterfacesAdded is seen, so nothing is missed.
        for i in range(50):
            env.ctl('start', '--uid', 'probe%d' % i, env.fixture('forever_app.js'))
            monitor.read(0.2)
            if any(m.get('member') == 'InterfacesAdded' for m in monitor.seen):
                break
        else:
            raise AssertionError('busctl monitor saw nothing of 50 starts')
        env.ctl('start', '--uid', 'watched', env.fixture('forever_app.js'))
        path = '/org/forever/Forever1/process/watched'

        def running_announced():
            for m in monitor.signals(path):
                if m.get('member') == 'PropertiesChanged':
                    changed = m['payload']['data'][1]
                    if changed.get('State', {}).get('data') == 'running':
                        return changed
            return None
        monitor.wait('PropertiesChanged to "running"', running_announced)
        changed = running_announced()
        iface = [m for m in monitor.signals(path)
                 if m.get('member') == 'PropertiesChanged'][0]['payload']['data'][0]
        assert iface == IFACE, iface
        assert sorted(changed) == sorted(MOVING), sorted(changed)
        for name, sig in MOVING.items():
            assert changed[name]['type'] == sig, (name, changed[name])
        # Nothing moves while it runs: each value is what Get answers now.
        wait_for(lambda: get(env, path, 'State')['data'] == 'running', timeout=10)
        for name in MOVING:
            assert get(env, path, name) == changed[name], (name, get(env, path, name),
                                                           changed[name])
        assert changed['MainPID']['data'] > 0

        env.ctl('stop', 'watched')

        def order():
            members = []
            for m in monitor.signals(path):
                member = m.get('member')
                if member == 'PropertiesChanged':
                    state = m['payload']['data'][1].get('State', {}).get('data')
                    if state == 'stopping':
                        members.append('stopping')
                elif member in ('ProcessExited', 'InterfacesRemoved'):
                    members.append(member)
            return members
        monitor.wait('InterfacesRemoved', lambda: 'InterfacesRemoved' in order())
        assert order() == ['stopping', 'ProcessExited', 'InterfacesRemoved'], order()


if __name__ == '__main__':
    run()
