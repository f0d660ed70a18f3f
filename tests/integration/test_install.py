#!/usr/bin/python3
"""`meson install --destdir` lays out a complete, packageable tree, and the
bash completion offers actions, options and running targets."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, Skip, ensure_sandbox, run  # noqa: E402

ensure_sandbox()

BUILD = os.environ.get('MESON_BUILD_ROOT') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.environ['FOREVERD'])))


def test_destdir_install_layout():
    with Env() as env:
        dest = env.path('dest')
        r = subprocess.run(['meson', 'install', '-C', BUILD, '--destdir', dest, '--no-rebuild',
                            '--quiet'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert r.returncode == 0, r.stdout
        files = set()
        for root, dirs, names in os.walk(dest):
            for n in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                files.add(os.path.relpath(os.path.join(root, n), dest))

        def has(suffix):
            return any(f.endswith(suffix) for f in files)
        for expected in ('bin/foreverd', 'bin/foreverctl', 'bin/forever',
                         'systemd/user/forever.service', 'systemd/system/forever.service',
                         'dbus-1/system.d/org.forever.Forever1.conf',
                         'dbus-1/services/org.forever.Forever1.service',
                         'dbus-1/interfaces/org.forever.Forever1.Manager.xml',
                         'dbus-1/interfaces/org.forever.Forever1.Process.xml',
                         'man1/foreverctl.1', 'man1/forever.1', 'man8/foreverd.8',
                         'man5/forever.toml.5', 'bash-completion/completions/foreverctl',
                         'zsh/vendor-completions/_foreverctl',
                         'fish/vendor_completions.d/foreverctl.fish'):
            assert has(expected), (expected, sorted(files))
        alias = [f for f in files if f.endswith('bin/forever')][0]
        assert os.readlink(os.path.join(dest, alias)) == 'foreverctl'
        unit = open(os.path.join(dest, [f for f in files if f.endswith('forever.service')
                                        and 'systemd' in f][0])).read()
        for line in ('Type=notify', 'BusName=org.forever.Forever1', 'WatchdogSec=',
                     'Restart=on-failure', 'KillMode=mixed'):
            assert line in unit, (line, unit)
        bindir = os.path.dirname(os.path.join('/', alias))
        assert 'ExecStart=%s/foreverd' % bindir in unit, unit
        # The installed CLI runs (and the alias is the same program).
        r = env.run([os.path.join(dest, alias), '--version'])
        assert r.stdout.startswith('foreverctl '), r.stdout


def complete(env, line):
    """COMPREPLY of the bash completion for the command line `line`."""
    script = os.path.join(os.path.dirname(__file__), '..', '..', 'completions', 'foreverctl.bash')
    words = line.split(' ')
    bindir = os.path.dirname(os.environ['FOREVERCTL'])
    prog = ('PATH=%s:$PATH; source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _foreverctl; '
            'printf "%%s\\n" "${COMPREPLY[@]}"'
            % (bindir, script, ' '.join("'%s'" % w for w in words), len(words) - 1))
    return env.run(['bash', '-c', prog]).stdout.split()


def test_bash_completion():
    if shutil.which('bash') is None:
        raise Skip('bash is not installed')
    with Env() as env:
        env.start_daemon()
        env.ctl('start', '--uid', 'web-1', env.fixture('forever_app.js'))
        assert complete(env, 'foreverctl st') == ['start', 'stop', 'stopall', 'stopbypid', 'status']
        assert complete(env, 'foreverctl stop ') == ['web-1']
        opts = complete(env, 'foreverctl start --ki')
        assert opts == ['--killSignal', '--killTimeout', '--killTree'], opts
        assert complete(env, 'foreverctl start --restart o') == ['on-failure']


if __name__ == '__main__':
    sys.exit(run())
