#!/usr/bin/python3
"""Bad input on the D-Bus surface: wrong types, huge strings, odd paths,
unknown targets, pids foreverd did not start, and a few hundred random
start specs. Nothing crashes, every refusal is a named error, and nothing
outside what foreverd started is touched.

gdbus is the client: its GVariant text can say any type, and it prints the
error name of a refusal."""

import os
import random
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, pid_alive, run  # noqa: E402

ensure_sandbox()

MANAGER = 'org.forever.Forever1.Manager'
ROOT = '/org/forever/Forever1'
OURS = 'org.forever.Forever1.Error.'
# What a message of the wrong signature or to a missing object gets from the
# D-Bus layer itself; named errors too, but never these from a crash:
WRONG_CALL = ('org.freedesktop.DBus.Error.InvalidArgs', 'org.freedesktop.DBus.Error.UnknownMethod',
              'org.freedesktop.DBus.Error.UnknownObject')
CRASHED = ('NoReply', 'ServiceUnknown', 'Disconnected', 'NameHasNoOwner', 'Timeout')


def gdbus(env, method, *args, path=ROOT, interface=MANAGER):
    """(ok, error name or None, output) of one call."""
    r = env.run(['gdbus', 'call', '--session', '--dest', 'org.forever.Forever1',
                 '--object-path', path, '--method', interface + '.' + method] + list(args),
                check=False, timeout=30)
    if r.returncode == 0:
        return True, None, r.stdout
    text = r.stderr.strip()
    name = None
    if 'GDBus.Error:' in text:
        name = text.split('GDBus.Error:', 1)[1].split(':', 1)[0]
    return False, name, text


def dbus_send(env, method, *args, path=ROOT, interface=MANAGER):
    """Like gdbus(), with dbus-send: it sends whatever types it is told
    (gdbus checks the arguments against the introspection data first)."""
    r = env.run(['dbus-send', '--session', '--print-reply', '--dest=org.forever.Forever1', path,
                 interface + '.' + method] + list(args), check=False, timeout=30)
    if r.returncode == 0:
        return True, None, r.stdout
    text = r.stderr.strip()
    name = text.split(' ', 2)[1].rstrip(':') if text.startswith('Error ') else None
    return False, name, text


def refused(env, expected, method, *args, via=gdbus, **kw):
    ok, name, text = via(env, method, *args, **kw)
    assert not ok, ('accepted', method, args, text)
    assert name is not None, ('no error name', method, args, text)
    assert not any(c in name for c in CRASHED), ('daemon gone?', method, args, text)
    if isinstance(expected, str):
        expected = (expected,)
    assert any(name.startswith(e) for e in expected), (method, args[:1], name, text[:300])
    return name


def q(s):
    """A GVariant string literal."""
    return "'" + s.replace('\\', '\\\\').replace("'", "\\'") + "'"


def test_every_refusal_is_named_and_nothing_else_is_touched():
    if shutil.which('gdbus') is None:
        raise Skip('gdbus (libglib2.0-bin) not installed')
    with Env() as env:
        d = env.start_daemon()
        app = env.fixture('forever_app.js')
        env.ctl('start', '--uid', 'victim', app)
        victim = env.ctl_json('list')[0]['pid']
        # A process foreverd did not start; it must survive everything below.
        bystander = env.popen(['sleep', '1000'])

        huge = 'x' * 100000  # a single argv string may not exceed 128 KiB
        for target in ('', 'nope', '../..', '/etc/passwd', '-1', '99999', '*', huge,
                       'victim/..', '\u00e9\u00e9'):
            for method in ('Stop', 'Restart', 'GetProcess', 'Find'):
                refused(env, OURS + 'NotFound', method, q(target))
        for pid in (0, 1, os.getpid(), d.pid, bystander.pid, 4294967295):
            refused(env, OURS + 'NotFound', 'StopByPid', 'uint32 %d' % pid)
        # Wrong signatures: a negative pid cannot even be said as a uint32.
        refused(env, WRONG_CALL, 'StopByPid', 'int32:-1', via=dbus_send)
        refused(env, WRONG_CALL, 'StopByPid', 'string:1', via=dbus_send)
        refused(env, WRONG_CALL, 'StopByPid', via=dbus_send)
        refused(env, WRONG_CALL, 'Stop', 'int32:0', via=dbus_send)
        refused(env, WRONG_CALL, 'Stop', 'string:a', 'string:b', via=dbus_send)
        refused(env, WRONG_CALL, 'Start', 'string:app.js', via=dbus_send)
        refused(env, WRONG_CALL, 'Start', 'dict:string:string:script,app.js', via=dbus_send)
        refused(env, WRONG_CALL, 'NoSuchMethod', via=dbus_send)
        refused(env, WRONG_CALL, 'Stop', path=ROOT + '/process/nope',
                interface='org.forever.Forever1.Process', via=dbus_send)

        specs = [
            '@a{sv} {}',
            "{'script': <5>}",
            "{'script': <%s>, 'bogus': <1>}" % q(app),
            "{'script': <%s>, 'args': <[1, 2]>}" % q(app),
            "{'script': <%s>, 'env': <{'A=B': 'c'}>}" % q(app),
            "{'script': <%s>, 'killSignal': <'SIGNOPE'>}" % q(app),
            "{'script': <%s>, 'minUptime': <int32 -1>}" % q(app),
            "{'script': <%s>, 'uid': <'victim'>}" % q(app),
            "{'script': <%s>, 'uid': <%s>}" % (q(app), q(huge)),
            "{'script': <'/nonexistent/app.js'>}",
            "{'script': <''>}",
            "{'script': <%s>, 'workingDir': <'/nonexistent'>}" % q(app),
            "{'script': <%s>, 'restart': <'sometimes'>}" % q(app),
            "{'script': <%s>, 'max': <'3'>}" % q(app),
        ]
        for spec in specs:
            refused(env, OURS, 'Start', spec)
        for sig in (0, -1, 65, 9999):
            refused(env, OURS + 'InvalidArgument', 'Kill', 'int32 %d' % sig,
                    path=ROOT + '/process/victim', interface='org.forever.Forever1.Process')

        # Random specs from a fixed seed (printed, so a failure can be
        # replayed): any mix of known and unknown keys and value types.
        seed = int(os.environ.get('FOREVER_FUZZ_SEED', '20261125'))
        print('    seed', seed)
        rng = random.Random(seed)
        keys = ['script', 'uid', 'args', 'command', 'nodeArgs', 'sourceDir', 'workingDir', 'env',
                'logFile', 'outFile', 'errFile', 'append', 'timestamp', 'silent', 'max',
                'minUptime', 'spinSleepTime', 'restart', 'restartDelay', 'killSignal',
                'killTimeout', 'killTree', 'pidFile', 'crashLoopBurst', 'watch', 'Script', '',
                'x' * 300]
        values = ["<''>", "<'..'>", "<'../../../etc/passwd'>", "<%s>" % q(app), "<'/dev/null'>",
                  "<'-1'>", '<int32 -1>', '<int32 0>', '<int32 2147483647>', '<uint64 0>',
                  '<uint64 18446744073709551615>', '<true>', '<1.5>', "<['a', '']>", '<@as []>',
                  "<{'K': 'v'}>", '<@a{ss} {}>', "<<'nested'>>", "<('tuple', 1)>", "<objectpath '/'>",
                  "<%s>" % q('y' * 20000)]
        started = []
        outcomes = {}
        plausible = {'script': '<%s>' % q(app), 'args': "<['a', 'b']>", 'silent': '<true>',
                     'max': '<int32 3>', 'minUptime': '<uint64 0>', 'restart': "<'always'>",
                     'killSignal': "<'SIGINT'>", 'killTree': '<true>', 'env': "<{'K': 'v'}>",
                     'workingDir': "<'/'>", 'timestamp': '<false>'}
        for n in range(250):
            chosen = rng.sample(keys, rng.randint(0, 5))
            if rng.random() < 0.5:  # half of them close to valid, to get past the first check
                chosen = ['script'] + [k for k in chosen if k in plausible and k != 'script']
            spec = '{%s}' % ', '.join(
                '%s: %s' % (q(k), plausible[k] if k in plausible and rng.random() < 0.7
                            else rng.choice(values)) for k in chosen)
            if spec == '{}':
                spec = '@a{sv} {}'
            ok, name, text = gdbus(env, 'Start', spec)
            if ok:
                started.append(text)
                outcomes['accepted'] = outcomes.get('accepted', 0) + 1
                continue
            assert name and (name.startswith(OURS) or name in WRONG_CALL), (spec[:300], text[:300])
            outcomes[name] = outcomes.get(name, 0) + 1
        print('    outcomes', outcomes)
        assert d.alive(), d.log_tail()

        # Whatever got accepted is ours to stop; the victim and the bystander
        # are untouched.
        listed = env.ctl_json('list')
        assert {p['uid']: p['pid'] for p in listed}['victim'] == victim
        env.ctl('stopall', timeout=60)
        assert pid_alive(bystander.pid)
        assert env.ctl_json('list') == []
        bystander.send_signal(signal.SIGKILL)
        bystander.wait()


PROCESS_XML = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'dbus',
                           'org.forever.Forever1.Process.xml')


def members(interface):
    """What a client sees of an interface element: methods with their
    arguments, properties with type, access and change signalling."""
    def emits(p):
        for a in p.findall('annotation'):
            if a.get('name') == 'org.freedesktop.DBus.Property.EmitsChangedSignal':
                return a.get('value')
        return 'true'
    methods = {m.get('name'): [(a.get('name'), a.get('type'), a.get('direction', 'in'))
                               for a in m.findall('arg')] for m in interface.findall('method')}
    props = {p.get('name'): (p.get('type'), p.get('access'), emits(p))
             for p in interface.findall('property')}
    return methods, props


def test_process_objects_are_what_their_xml_says():
    # Process objects are served by a vtable generated from the XML
    # (dbus/xml2fallback.py), not by sdbus-c++'s adaptor: what a client
    # introspects must be the XML, member for member.
    if shutil.which('gdbus') is None:
        raise Skip('gdbus (libglib2.0-bin) not installed')
    with Env() as env:
        env.start_daemon()
        app = env.fixture('forever_app.js')
        for uid in ('plain', 'odd.uid-1'):
            env.ctl('start', '--uid', uid, app)
        paths = {'plain': ROOT + '/process/plain', 'odd.uid-1': ROOT + '/process/odd_2euid_2d1'}
        want = [i for i in ET.parse(PROCESS_XML).getroot().findall('interface')
                if i.get('name') == 'org.forever.Forever1.Process'][0]
        for uid, path in paths.items():
            r = env.run(['gdbus', 'introspect', '--session', '--dest', 'org.forever.Forever1',
                         '--object-path', path, '--xml'], timeout=30)
            got = [i for i in ET.fromstring(r.stdout).findall('interface')
                   if i.get('name') == 'org.forever.Forever1.Process']
            assert len(got) == 1, r.stdout
            assert members(got[0]) == members(want), (uid, members(got[0]))
            ok, _, text = gdbus(env, 'Get', "'org.forever.Forever1.Process'", "'Uid'", path=path,
                                interface='org.freedesktop.DBus.Properties')
            assert ok and repr(uid) in text, text
        # The parent lists both as children; GetManagedObjects has both.
        r = env.run(['gdbus', 'introspect', '--session', '--dest', 'org.forever.Forever1',
                     '--object-path', ROOT + '/process', '--xml'], timeout=30)
        children = {n.get('name') for n in ET.fromstring(r.stdout).findall('node')}
        assert children == {'plain', 'odd_2euid_2d1'}, r.stdout
        ok, _, text = gdbus(env, 'GetManagedObjects', path=ROOT,
                            interface='org.freedesktop.DBus.ObjectManager')
        assert ok and all(p in text for p in paths.values()), text
        # A stopped process's object is gone.
        env.ctl('stop', 'plain')
        refused(env, 'org.freedesktop.DBus.Error.UnknownObject', 'Get',
                "'org.forever.Forever1.Process'", "'Uid'", path=paths['plain'],
                interface='org.freedesktop.DBus.Properties')


if __name__ == '__main__':
    sys.exit(run())
