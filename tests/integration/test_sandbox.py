#!/usr/bin/python3
"""Self-test of the test sandbox and harness (does not need foreverd).

Proves: private bus, standalone journald, a real `systemd --user` confined to
its own child cgroups (journal output of a unit, Type=notify readiness), the
fixtures, and that every Env/UserManager leaves nothing behind.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import (Env, Skip, descendants, ensure_sandbox, free_port,  # noqa: E402
                             pid_alive, port_free, run, wait_for, zombies_of)
from user_manager import UserManager  # noqa: E402

ensure_sandbox()


def _cgroup_dirs_exist(um):
    return [child for _, child in um.cgroup_dirs if os.path.exists(child)]


def test_helpers():
    port = free_port()
    assert port_free(port)
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', port))
    s.listen()
    assert not port_free(port)
    s.close()
    try:
        wait_for(lambda: False, timeout=0.1, what='the impossible')
        raise RuntimeError('wait_for did not time out')
    except AssertionError as e:
        assert 'the impossible' in str(e)
    assert wait_for(lambda: 42) == 42
    p = subprocess.Popen(['sh', '-c', 'exit 0'])
    wait_for(lambda: p.pid in zombies_of(os.getpid()), what='sh to become a zombie')
    assert not pid_alive(p.pid)
    p.wait()
    assert not pid_alive(p.pid)


def test_env_bus_and_scrubbed_environment():
    os.environ['NOTIFY_SOCKET'] = '/nonexistent'
    os.environ['WATCHDOG_USEC'] = '1'
    try:
        with Env() as env:
            assert os.stat(env.runtime_dir).st_mode & 0o777 == 0o700
            r = env.run(['dbus-send', '--session', '--print-reply', '--dest=org.freedesktop.DBus',
                         '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames'])
            assert 'org.freedesktop.DBus' in r.stdout
            out = env.run(['env']).stdout
            assert 'NOTIFY_SOCKET' not in out and 'WATCHDOG_USEC' not in out, out
            assert 'DBUS_SESSION_BUS_ADDRESS=%s' % env.bus_address in out
            assert 'XDG_STATE_HOME=%s' % env.state_home in out
            bus_pid = env.dbus_proc.pid
            tmp = env.dir
        assert not pid_alive(bus_pid)
        assert not os.path.exists(tmp)
    finally:
        del os.environ['NOTIFY_SOCKET'], os.environ['WATCHDOG_USEC']


FAKE_DAEMON = r'''
import os, signal, socket, subprocess, sys, time
leak = subprocess.Popen(['sleep', '300'], start_new_session=True)
with open(os.path.join(os.environ['HOME'], 'leaked.pid'), 'w') as f:
    f.write(str(leak.pid))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))  # before READY=1
print('fake foreverd', sys.argv[1:], flush=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b'READY=1\nSTATUS=fake up', os.environ['NOTIFY_SOCKET'])
while True:
    time.sleep(1)
'''


def test_daemon_lifecycle_with_fake_daemon():
    with Env() as env:
        fake = env.path('fake_foreverd')
        with open(fake, 'w') as f:
            f.write('#!%s\n%s' % (sys.executable, FAKE_DAEMON))
        os.chmod(fake, 0o755)
        d = env.start_daemon(exe=fake)
        assert 'READY=1' in d.notifications[0] and 'STATUS=fake up' in d.notifications[0]
        assert d.notification_pids[0] == d.pid
        with open(os.path.join(env.home, 'leaked.pid')) as f:
            leaked = int(f.read())
        assert pid_alive(leaked)
        assert d.stop() == 0
        assert 'fake foreverd' in d.log() and '--foreground' in d.log()
        # the leaked grandchild (now our orphan) must still be cleaned up
        assert pid_alive(leaked)
        d2 = env.start_daemon(exe=fake)
        second_leak = int(open(os.path.join(env.home, 'leaked.pid')).read())
        d2.kill9()
        assert d2.proc.returncode == -signal.SIGKILL
        env.start_daemon(exe=fake)  # left running: Env must stop it
    assert not pid_alive(leaked) and not pid_alive(second_leak)
    assert not descendants(os.getpid()), descendants(os.getpid())


def test_fixtures():
    if shutil.which('node') is None:
        raise Skip('node not installed')
    with Env() as env:
        def start(name, *args, **kw):
            return env.popen(['node', env.fixture(name)] + [str(a) for a in args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

        p = start('forever_app.js')
        assert p.stdout.readline() == 'started %d\n' % p.pid
        p.send_signal(signal.SIGTERM)
        assert p.wait(5) == 0 and p.stdout.read() == 'bye\n'

        p = start('crash_after.js', 100, 3)
        assert p.wait(5) == 3 and 'crashing' in p.stderr.read()

        p = start('echo_args.js', '--port', 3000, extra_env={'NODE_ENV': 'production'})
        info = json.loads(p.stdout.readline())
        assert info['argv'] == ['--port', '3000'] and info['env']['NODE_ENV'] == 'production'
        p = env.popen(['node', '--max-old-space-size=1024', env.fixture('echo_args.js')],
                      stdout=subprocess.PIPE, text=True)
        info = json.loads(p.stdout.readline())
        assert info['execArgv'] == ['--max-old-space-size=1024'], info
        assert 1000 <= info['heapSizeLimitMB'] <= 1200, info['heapSizeLimitMB']

        port = free_port()
        p = start('grandchild_port.js', port)
        head = p.stdout.readline().split()
        assert head[0] == 'parent' and p.stdout.readline().startswith('listening %d' % port)
        child = int(head[3])
        assert child in descendants(p.pid) and not port_free(port)
        p.kill()      # the child survives its parent and keeps the port
        p.wait()
        assert pid_alive(child) and not port_free(port)

        p = start('ignore_term.js')
        p.stdout.readline()
        p.send_signal(signal.SIGTERM)
        assert p.stdout.readline() == 'ignoring SIGTERM\n' and p.poll() is None

        p = start('flood.js', 2)
        out, err = p.communicate(timeout=30)
        lines = out.splitlines()
        assert p.returncode == 0 and len(out) >= 2 * 1048576
        assert lines[0].startswith('line 0 ') and lines[-1].startswith('line %d ' % (len(lines) - 1))
        assert 'flood done %d lines' % len(lines) in err

        sock = env.path('notify.sock')
        import socket
        import threading
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(sock)
        got = []

        def drain():  # keep reading: systemd-notify (252) blocks until its BARRIER=1 fd is closed
            while True:
                try:
                    msg = s.recv(4096).decode()
                except OSError:
                    return
                if msg != 'BARRIER=1':
                    got.append(msg)
        threading.Thread(target=drain, daemon=True).start()
        p = start('hang_after_ready.js', 50, 2, extra_env={'NOTIFY_SOCKET': sock})
        assert p.stdout.readline().startswith('started') and p.stdout.readline() == 'ready\n'
        assert p.stdout.readline() == 'hanging\n'
        assert 'READY=1' in got[0] and got[1:] == ['WATCHDOG=1', 'WATCHDOG=1'], got
        s.shutdown(socket.SHUT_RDWR)
        s.close()
    assert not pid_alive(child) and port_free(port)


def test_user_manager_runs_units_into_the_journal():
    with Env(journal=True) as env:
        with UserManager(env) as um:
            assert um.systemctl('is-system-running', check=False).stdout.strip() == 'running'
            if um.real:
                raise Skip('machine user manager in use; the sandbox checks do not apply')
            assert UserManager.cgroup_of(um.pid) == um.root_cgroup + '/init.scope'
            um.run(['systemd-run', '--user', '--unit=probe', '--',
                    'sh', '-c', 'echo hello-probe; sleep 0.2'])
            entries = env.wait_journal(MESSAGE='hello-probe', what='hello-probe in the journal')
            assert entries[0]['_SYSTEMD_CGROUP'] == um.root_cgroup + '/app.slice/probe.service'
            manager_pid = um.pid
            wait_for(lambda: um.active_state('probe.service') == 'inactive',
                     what='probe.service to finish')
            # a unit left running must be stopped by the teardown
            um.run(['systemd-run', '--user', '--unit=sleeper', 'sleep', '300'])
            sleeper = um.main_pid('sleeper.service')
            assert UserManager.cgroup_of(sleeper) == um.root_cgroup + '/app.slice/sleeper.service'
        assert not pid_alive(manager_pid) and not pid_alive(sleeper)
        assert not _cgroup_dirs_exist(um), _cgroup_dirs_exist(um)
    assert not descendants(os.getpid()), descendants(os.getpid())


NOTIFY_UNIT = '''[Unit]
Description=Type=notify probe

[Service]
Type=notify
ExecStart=/bin/sh -c 'sleep 1; echo notify-probe-ready; systemd-notify --ready --status=probed; exec sleep 300'
'''


def test_user_manager_type_notify():
    with Env(journal=True) as env, UserManager(env) as um:
        um.install_unit('probe-notify.service', NOTIFY_UNIT)
        start = time.monotonic()
        um.systemctl('start', '--no-block', 'probe-notify.service')
        assert um.active_state('probe-notify.service') == 'activating'
        wait_for(lambda: um.active_state('probe-notify.service') == 'active', timeout=10,
                 what='probe-notify.service active')
        elapsed = time.monotonic() - start
        assert elapsed >= 0.9, 'active before READY=1 (%.2fs)' % elapsed
        assert um.show('probe-notify.service', 'StatusText') == 'probed'
        env.wait_journal(MESSAGE='notify-probe-ready')
        if not um.real:
            pid = um.main_pid('probe-notify.service')
            assert um.cgroup_of(pid) == um.root_cgroup + '/app.slice/probe-notify.service'
        um.systemctl('stop', 'probe-notify.service')
        assert um.active_state('probe-notify.service') == 'inactive'



BUS_OWNER = ('''/usr/bin/python3 -c "import dbus, dbus.service, time; '''
             '''n = dbus.service.BusName('org.forever.test.Probe', dbus.SessionBus()); '''
             '''time.sleep(300)"''')


def test_user_manager_dbus_activation():
    """The manager runs the session bus (dbus.socket on $XDG_RUNTIME_DIR/bus,
    dbus-daemon --systemd-activation): a bus name is activated through a unit,
    as org.forever.Forever1 is on a real machine."""
    if subprocess.run(['/usr/bin/python3', '-c', 'import dbus.service'],
                      stderr=subprocess.DEVNULL).returncode != 0:
        raise Skip('python3-dbus (only used to own a name in a probe unit) is missing')
    with Env(journal=True) as env:
        with UserManager(env) as um:
            if um.real:
                raise Skip('machine user manager in use')
            services = os.path.join(env.data_home, 'dbus-1', 'services')
            os.makedirs(services)
            with open(os.path.join(services, 'org.forever.test.Probe.service'), 'w') as f:
                f.write('[D-BUS Service]\nName=org.forever.test.Probe\nExec=/bin/false\n'
                        'SystemdService=probe-bus.service\n')
            um.install_unit('probe-bus.service', '[Service]\nType=dbus\n'
                            'BusName=org.forever.test.Probe\nExecStart=%s\n' % BUS_OWNER)
            env.run(['dbus-send', '--session', '--print-reply', '--dest=org.freedesktop.DBus',
                     '/org/freedesktop/DBus', 'org.freedesktop.DBus.StartServiceByName',
                     'string:org.forever.test.Probe', 'uint32:0'])
            assert um.active_state('probe-bus.service') == 'active'
            names = env.run(['busctl', '--user', 'list', '--no-pager']).stdout
            assert 'org.freedesktop.systemd1' in names and 'org.forever.test.Probe' in names
        # the Env gets its own bus back
        env.run(['busctl', '--user', 'list', '--no-pager'])



FAKE_UNIT_DAEMON = r'''
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
addr = os.environ['NOTIFY_SOCKET']
addr = '\0' + addr[1:] if addr.startswith('@') else addr
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
print('fake foreverd under systemd, bus', os.environ.get('DBUS_SESSION_BUS_ADDRESS'), flush=True)
s.sendto(b'READY=1', addr)
while True:
    s.sendto(b'WATCHDOG=1', addr)
    time.sleep(1)
'''


def test_user_manager_runs_the_project_unit():
    """units/forever.service.in rendered for the build (here with a fake
    foreverd that speaks sd_notify) starts with `systemctl --user start`."""
    with Env(journal=True) as env, UserManager(env) as um:
        bindir = env.path('bin')
        os.mkdir(bindir)
        fake = os.path.join(bindir, 'foreverd')
        with open(fake, 'w') as f:
            f.write('#!%s\n%s' % (sys.executable, FAKE_UNIT_DAEMON))
        os.chmod(fake, 0o755)
        um.install_forever_units(foreverd=fake)
        um.systemctl('start', 'forever.service')
        assert um.active_state('forever.service') == 'active'
        pid = um.main_pid('forever.service')
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            assert fake.encode() in f.read()
        entries = env.wait_journal(MESSAGE='fake foreverd under systemd, bus %s' % env.bus_address)
        assert entries[0]['_PID'] == str(pid)
        um.systemctl('stop', 'forever.service')
        assert um.active_state('forever.service') == 'inactive' and not pid_alive(pid)


if __name__ == '__main__':
    sys.exit(run())
