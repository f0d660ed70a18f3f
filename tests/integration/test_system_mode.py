#!/usr/bin/python3
"""foreverd --system on a (private) system bus: processes run as the user
who started them; only that user or root may control them; a non-root
caller is refused with org.forever.Forever1.Error.AccessDenied."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, pid_alive, run, wait_for  # noqa: E402

ensure_sandbox()

POLICY = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'dbus',
                      'org.forever.Forever1.conf')
NOBODY = 65534

BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%(socket)s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>%(policy)s</include>
</busconfig>
'''


def owner_of(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('Uid:'):
                return int(line.split()[1])
    raise AssertionError('no Uid line')


def test_non_root_callers_control_only_their_own():
    if os.geteuid() != 0:
        raise Skip('system mode needs root (to own the name and switch users)')
    if shutil.which('setpriv') is None:
        raise Skip('setpriv (util-linux) is missing')
    with Env() as env:
        busdir = tempfile.mkdtemp(prefix='forever-sysbus-')
        env.add_cleanup(lambda: shutil.rmtree(busdir, ignore_errors=True))
        os.chmod(busdir, 0o755)
        socket_path = os.path.join(busdir, 'system_bus_socket')
        conf = os.path.join(busdir, 'system.conf')
        with open(conf, 'w') as f:
            f.write(BUS_CONFIG % {'socket': socket_path, 'policy': os.path.abspath(POLICY)})
        env.popen(['dbus-daemon', '--config-file', conf, '--nofork', '--nosyslog'])
        wait_for(lambda: os.path.exists(socket_path), what='the system bus socket')
        address = 'unix:path=' + socket_path
        bus = {'DBUS_SYSTEM_BUS_ADDRESS': address}
        env.start_daemon(extra_args=['--system', '--state-dir', env.path('sysstate')],
                         extra_env=bus)
        app = env.fixture('forever_app.js')
        ctl = os.environ['FOREVERCTL']

        def as_root(*args, check=True):
            return env.run([ctl, '--system'] + [str(a) for a in args], extra_env=bus,
                           check=check, cwd='/tmp')

        def as_nobody(*args, check=True):
            return env.run(['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY,
                            '--clear-groups', ctl, '--system'] + [str(a) for a in args],
                           extra_env=dict(bus, HOME='/tmp'), check=check, cwd='/tmp')

        as_root('start', '--uid', 'rootapp', app)
        as_nobody('start', '--uid', 'userapp', app)
        import json
        listed = {p['uid']: p for p in json.loads(as_nobody('list', '--json').stdout)}
        assert owner_of(listed['rootapp']['pid']) == 0
        assert owner_of(listed['userapp']['pid']) == NOBODY

        for args in (('stop', 'rootapp'), ('restart', 'rootapp'),
                     ('stopbypid', listed['rootapp']['pid']), ('cleanlogs',)):
            r = as_nobody(*args, check=False)
            assert r.returncode == 1, (args, r)
            assert r.stderr.startswith('foreverctl: ') and r.stderr.count('\n') == 1, r.stderr
            assert 'another user' in r.stderr or 'for root' in r.stderr, r.stderr
        r = env.run(['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY, '--clear-groups',
                     'dbus-send', '--system', '--print-reply', '--dest=org.forever.Forever1',
                     '/org/forever/Forever1', 'org.forever.Forever1.Manager.Stop',
                     'string:rootapp'], extra_env=bus, check=False, cwd='/tmp')
        assert 'org.forever.Forever1.Error.AccessDenied' in r.stderr, r.stderr
        # The same on the process objects (one sd-bus fallback table, its own
        # caller check): refused on root's, allowed on the caller's own.
        def process_call_as_nobody(uid, method, *args):
            return env.run(['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY,
                            '--clear-groups', 'dbus-send', '--system', '--print-reply',
                            '--dest=org.forever.Forever1', '/org/forever/Forever1/process/' + uid,
                            'org.forever.Forever1.Process.' + method] + list(args),
                           extra_env=bus, check=False, cwd='/tmp')
        for method, args in (('Stop', ()), ('Restart', ()), ('Kill', ('int32:9',))):
            r = process_call_as_nobody('rootapp', method, *args)
            assert ('org.forever.Forever1.Error.AccessDenied' in r.stderr and
                    'belongs to another user' in r.stderr), (method, r.stderr)
        assert pid_alive(listed['rootapp']['pid'])
        r = process_call_as_nobody('userapp', 'Restart')
        assert r.returncode == 0, r.stderr
        wait_for(lambda: not pid_alive(listed['userapp']['pid']), what='the old userapp run gone')
        listed = {p['uid']: p for p in json.loads(as_nobody('list', '--json').stdout)}
        assert owner_of(listed['userapp']['pid']) == NOBODY
        # Files foreverd would open as root are refused to users.
        r = as_nobody('start', '--uid', 'sneaky', '-o', '/etc/forever-test-should-not-exist',
                      app, check=False)
        assert r.returncode == 1 and "'outFile' is only for root" in r.stderr, r.stderr
        assert not os.path.exists('/etc/forever-test-should-not-exist')
        # stopall from a user stops only that user's processes.
        assert as_nobody('stopall').stdout.split() == ['stopped', 'userapp']
        assert pid_alive(listed['rootapp']['pid']) and not pid_alive(listed['userapp']['pid'])
        # A client cannot claim to be someone else.
        r = env.run(['busctl', '--system', 'call', 'org.forever.Forever1', '/org/forever/Forever1',
                     'org.forever.Forever1.Manager', 'Start', 'a{sv}', '2', 'script', 's', app,
                     'runAsUid', 'x', '0'], extra_env=bus, check=False)
        assert r.returncode != 0 and 'runAsUid' in r.stderr, r.stderr
        as_nobody('start', '--uid', 'userapp2', app)
        assert 'stopped userapp2' in as_root('stop', 'userapp2').stdout  # root may
        assert as_root('stop', 'rootapp').stdout.strip() == 'stopped rootapp'


if __name__ == '__main__':
    sys.exit(run())
