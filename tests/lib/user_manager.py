"""A real `systemd --user` manager for integration tests.

Inside the sandbox of forever_harness.ensure_sandbox() (root, private mount
namespace, tmpfs over /run/systemd) this starts a private `systemd --user`
confined to fresh child cgroups; on a normal systemd machine it wraps the
user's own manager instead. See README.md.

    with Env(journal=True) as env, UserManager(env) as um:
        um.install_unit('x.service', '[Service]\\nExecStart=/bin/sleep 60\\n')
        um.systemctl('start', 'x.service')
        pid = um.main_pid('x.service')

Why the cgroup dance: `systemd --user` takes the cgroup it starts in as its
root and moves every process found there into init.scope, in every
hierarchy. Started in the VM's root cgroups it would grab PID 1 and the
machine's processes. So we create `forever-test-<pid>-<n>` below our own
cgroup in every hierarchy of /proc/self/cgroup, move only the process that
will exec the manager into them (in preexec_fn, verified before exec), and
remove them again afterwards.
"""

import os
import re
import signal
import subprocess
import sys
import time

import forever_harness as h

SYSTEMD = '/lib/systemd/systemd'
# With own_bus=False the Env's bus stays and the manager's own bus units
# (dbus-user-session: dbus.socket on $XDG_RUNTIME_DIR/bus) are masked.
BUS_UNITS = ('dbus.socket', 'dbus.service')

_counter = 0


def _parse_mountinfo():
    v1, v2 = [], None
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split()
            sep = fields.index('-')
            fstype, opts = fields[sep + 1], fields[sep + 3].split(',')
            root, mountpoint = fields[3], fields[4]
            if fstype == 'cgroup':
                v1.append((set(opts), mountpoint, root))
            elif fstype == 'cgroup2' and v2 is None:
                v2 = (mountpoint, root)
    return v1, v2


def cgroup_hierarchies(pid='self'):
    """[(controllers, cgroup path, directory, mount point)] for each hierarchy
    listed in /proc/<pid>/cgroup that is mounted here ('' = cgroup2)."""
    v1, v2 = _parse_mountinfo()
    out = []
    with open('/proc/%s/cgroup' % pid) as f:
        for line in f:
            hid, ctrls, path = line.rstrip('\n').split(':', 2)
            mount = None
            if hid == '0' and ctrls == '':
                mount = v2
            else:
                want = set(ctrls.split(','))
                for opts, mp, root in v1:
                    if want <= opts:
                        mount = (mp, root)
                        break
            if mount is None:
                continue
            mp, root = mount
            rel = path
            if root != '/' and (rel == root or rel.startswith(root + '/')):
                rel = rel[len(root):]
            out.append((ctrls, path, os.path.normpath(mp + '/' + rel.lstrip('/')), mp))
    return out


def _read_pids(directory):
    try:
        with open(os.path.join(directory, 'cgroup.procs')) as f:
            return [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    except OSError:
        return []


def _tree_pids(top):
    pids = set()
    for dirpath, _, _ in os.walk(top):
        pids.update(_read_pids(dirpath))
    return pids


def _clean_stale(directory):
    """Remove forever-test-<pid>-<n> cgroups left by a harness that died
    (e.g. SIGKILLed by a test timeout): kill what runs there, rmdir."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = re.match(r'forever-test-(\d+)-\d+$', name)
        top = os.path.join(directory, name)
        if not m or not os.path.isdir(top) or h.pid_alive(int(m.group(1))):
            continue
        for _ in range(100):
            pids = _tree_pids(top)
            if not pids:
                break
            h.kill_pids(pids, signal.SIGKILL)
            time.sleep(0.02)
            h.reap_zombies()
        sys.stderr.write('removed stale test cgroup %s\n' % top)
        _remove_tree(directory, top)


def _remove_tree(parent, top):
    """rmdir a cgroup tree depth-first; leftover pids go to parent."""
    if not os.path.isdir(top):
        return
    for dirpath, _, _ in sorted(os.walk(top), key=lambda t: -t[0].count('/')):
        for pid in _read_pids(dirpath):
            try:
                with open(os.path.join(parent, 'cgroup.procs'), 'w') as f:
                    f.write(str(pid))
            except OSError:
                pass
        for attempt in range(100):
            try:
                os.rmdir(dirpath)
                break
            except FileNotFoundError:
                break
            except OSError as e:
                if attempt == 99:
                    sys.stderr.write('cannot remove cgroup %s: %s\n' % (dirpath, e))
                time.sleep(0.02)


class UserManager:
    """A `systemd --user` for one Env (context manager).

    Attributes: pid, proc, real (True: the machine's own manager is used),
    name (child cgroup name), root_cgroup (the manager's root in the
    name=systemd/unified view, e.g. '/forever-test-123-1'), cgroup_dirs
    (created directories, one per hierarchy), unit_dir, state."""

    def __init__(self, env, timeout=30, stop_timeout=20, own_bus=True):
        self.env = env
        self.own_bus = own_bus
        self.timeout = timeout
        self.stop_timeout = stop_timeout
        self.proc = None
        self.pid = None
        self.real = False
        self.cgroup_dirs = []         # [(parent dir, child dir)]
        self.installed = []
        self.installed_files = []
        self.state = None
        self._done = False
        self._pre_existing = {}

    # --- start ---------------------------------------------------------------
    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        self.env.add_cleanup(self.close)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _start(self):
        if not h.sandboxed():
            if os.path.isdir('/run/systemd/system') and not os.environ.get(h.SANDBOX_MARKER):
                return self._start_real()
            raise h.Skip('no systemd user manager here and no root sandbox '
                         '(run as root: ensure_sandbox() builds one)')
        if not os.path.exists(SYSTEMD):
            raise h.Skip('%s not installed' % SYSTEMD)
        # Safety: /run/systemd must be the sandbox's tmpfs, never the host's.
        if not h._is_mountpoint('/run/systemd', 'tmpfs') or \
                h._mount_ns('self') == os.environ.get('FOREVER_TEST_OUTER_MNTNS'):
            raise RuntimeError('refusing to create /run/systemd/system outside the sandbox')
        os.makedirs('/run/systemd/system', exist_ok=True)
        self.unit_dir = os.path.join(self.env.runtime_dir, 'systemd', 'user')
        os.makedirs(self.unit_dir, exist_ok=True)
        mask_dir = os.path.join(self.env.config_home, 'systemd', 'user')
        os.makedirs(mask_dir, exist_ok=True)
        for unit in BUS_UNITS:
            link = os.path.join(mask_dir, unit)
            if not self.own_bus and not os.path.lexists(link):
                os.symlink('/dev/null', link)
            elif self.own_bus and os.path.islink(link):
                os.unlink(link)
        if self.own_bus:
            # As on a real machine: the manager's dbus.socket listens on
            # $XDG_RUNTIME_DIR/bus (same address as the Env's bus, which we
            # stop) and starts dbus-daemon --systemd-activation on demand.
            self.env._stop_bus()
        self.uenv = self.env.env
        self._make_cgroups()
        manager_env = self.env.child_env({
            'SYSTEMD_LOG_TARGET': 'journal' if self.env.journal else 'console',
        })
        self.log_path = self.env.path('systemd-user.log')
        log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen([SYSTEMD, '--user'], env=manager_env,
                                     stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, cwd=self.env.home,
                                     preexec_fn=self._enter_cgroups)
        log.close()
        self.pid = self.proc.pid
        h._tracked_popens[self.pid] = self.proc
        self._wait_running()
        if self.own_bus:
            self._wait_bus()

    def _start_real(self):
        self.real = True
        self.uenv = dict(os.environ)
        for k in h._SCRUBBED_ENV:
            self.uenv.pop(k, None)
        self.uenv['SYSTEMD_PAGER'] = ''
        runtime = self.uenv.get('XDG_RUNTIME_DIR') or '/run/user/%d' % os.getuid()
        self.uenv['XDG_RUNTIME_DIR'] = runtime
        self.unit_dir = os.path.join(runtime, 'systemd', 'user')
        r = self.systemctl('is-system-running', check=False)
        self.state = r.stdout.strip()
        if self.state not in ('running', 'degraded', 'starting'):
            raise h.Skip('the user manager of this machine does not answer: %s %s'
                         % (r.stdout.strip(), r.stderr.strip()))
        os.makedirs(self.unit_dir, exist_ok=True)
        self.root_cgroup = None

    def _make_cgroups(self):
        global _counter
        _counter += 1
        self.name = 'forever-test-%d-%d' % (os.getpid(), _counter)
        hier = cgroup_hierarchies()
        if not hier:
            raise h.Skip('no cgroup hierarchies mounted')
        for _, _, own, mountpoint in hier:
            for top in set((own, mountpoint)):
                _clean_stale(top)
        for ctrls, path, own, _ in hier:
            child = os.path.join(own, self.name)
            os.mkdir(child)
            self.cgroup_dirs.append((own, child))
            if 'cpuset' in ctrls.split(','):
                for f in ('cpuset.cpus', 'cpuset.mems'):
                    with open(os.path.join(own, f)) as src:
                        value = src.read().strip()
                    with open(os.path.join(child, f), 'w') as dst:
                        dst.write(value)
        paths = dict((ctrls, path) for ctrls, path, _, _ in hier)
        base = paths.get('name=systemd', paths.get(''))
        self.root_cgroup = base.rstrip('/') + '/' + self.name
        # systemd uses its name=systemd path for every v1 controller, even
        # where our own cgroup differs (here memory:/process_api/...): note
        # which such directories exist already so that teardown removes only
        # what the manager created.
        for _, _, own, mountpoint in hier:
            cand = os.path.normpath(mountpoint + self.root_cgroup)
            if cand != os.path.join(own, self.name):
                self._pre_existing[cand] = os.path.exists(cand)

    def _enter_cgroups(self):
        # Runs in the forked child, before exec: join every child cgroup and
        # check it, or fail (an exception here prevents the exec).
        try:
            me = str(os.getpid())
            for _, child in self.cgroup_dirs:
                with open(os.path.join(child, 'cgroup.procs'), 'w') as f:
                    f.write(me)
            with open('/proc/self/cgroup') as f:
                for line in f:
                    path = line.rstrip('\n').split(':', 2)[2]
                    if os.path.basename(path) != self.name:
                        raise RuntimeError('not moved into test cgroup: ' + line)
            h._libc.prctl(h._PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except BaseException as e:
            os.write(2, ('user_manager: cannot enter cgroups: %r\n' % (e,)).encode())
            raise

    def _wait_running(self):
        def check():
            if self.proc.poll() is not None:
                raise RuntimeError('systemd --user exited with %s\n%s'
                                   % (self.proc.returncode, self.log_tail()))
            r = self.systemctl('is-system-running', check=False, timeout=5)
            state = r.stdout.strip()
            return state if state in ('running', 'degraded') else None
        try:
            self.state = h.wait_for(check, timeout=self.timeout, interval=0.05,
                                    what='systemctl --user is-system-running')
        except AssertionError as e:
            raise AssertionError('%s\n%s' % (e, self.log_tail()))
        if self.state == 'degraded':
            failed = self.systemctl('--failed', '--no-legend', check=False).stdout
            sys.stderr.write('warning: test user manager is degraded; failed units:\n%s' % failed)

    def _wait_bus(self):
        # The first client socket-activates dbus.service; once it runs, the
        # manager connects and owns org.freedesktop.systemd1.
        def check():
            r = self.run(['dbus-send', '--session', '--print-reply',
                          '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
                          'org.freedesktop.DBus.ListNames'], check=False, timeout=5)
            return r.returncode == 0 and '"org.freedesktop.systemd1"' in r.stdout
        try:
            h.wait_for(check, timeout=self.timeout, interval=0.05,
                       what='systemd --user on its session bus')
        except AssertionError as e:
            raise AssertionError('%s\n%s' % (e, self.log_tail()))

    def log_tail(self, max_chars=8000):
        try:
            with open(self.log_path, errors='replace') as f:
                text = f.read()[-max_chars:]
        except (OSError, AttributeError):
            text = ''
        return '----- systemd --user log -----\n%s----- end -----' % text

    # --- use -----------------------------------------------------------------
    def systemctl(self, *args, check=True, timeout=30, input=None):
        """Run `systemctl --user args...`; CompletedProcess (text)."""
        return self.run(['systemctl', '--user', '--no-pager'] + [str(a) for a in args],
                        check=check, timeout=timeout, input=input)

    def run(self, args, check=True, timeout=30, input=None):
        """Run any command with the environment that reaches this manager."""
        try:
            r = subprocess.run(args, env=self.uenv, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError('timed out after %gs: %s' % (timeout, ' '.join(args))) from None
        if check and r.returncode != 0:
            raise AssertionError('command failed with exit code %d: %s\n--- stdout:\n%s'
                                 '--- stderr:\n%s' % (r.returncode, ' '.join(args),
                                                      r.stdout, r.stderr))
        return r

    def install_unit(self, name, text, reload=True):
        """Write a unit to $XDG_RUNTIME_DIR/systemd/user/ and daemon-reload."""
        path = os.path.join(self.unit_dir, name)
        with open(path, 'w') as f:
            f.write(text)
        if name not in self.installed:
            self.installed.append(name)
        if reload:
            self.daemon_reload()
        return path

    def install_dbus_service(self, name, text):
        """Write a D-Bus activation file to $XDG_DATA_HOME/dbus-1/services/
        (a service dir of the session bus)."""
        d = os.path.join(self.uenv.get('XDG_DATA_HOME') or
                         os.path.join(self.uenv['HOME'], '.local', 'share'), 'dbus-1', 'services')
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name)
        with open(path, 'w') as f:
            f.write(text)
        self.installed_files.append(path)
        return path

    def install_forever_units(self, foreverd=None, unit_name='forever.service'):
        """Install the project's units/forever.service.in and
        dbus/org.forever.Forever1.service.in, with @bindir@ = the directory of
        foreverd (default $FOREVERD), so that `systemctl --user start forever`
        and D-Bus activation of org.forever.Forever1 run the built daemon."""
        foreverd = foreverd or os.environ.get('FOREVERD')
        if not foreverd:
            raise AssertionError('FOREVERD is not set (path of the foreverd binary)')
        bindir = os.path.dirname(os.path.abspath(foreverd))
        self.install_dbus_service('org.forever.Forever1.service', h.render_template(
            h.source_path('dbus', 'org.forever.Forever1.service.in'), bindir=bindir))
        return self.install_unit(unit_name, h.render_template(
            h.source_path('units', 'forever.service.in'), bindir=bindir))

    def daemon_reload(self):
        self.systemctl('daemon-reload')

    def show(self, unit, prop):
        """One property of a unit, as a string."""
        return self.systemctl('show', '--property=' + prop, '--value', unit).stdout.strip()

    def main_pid(self, unit):
        return int(self.show(unit, 'MainPID') or 0)

    def active_state(self, unit):
        return self.show(unit, 'ActiveState')

    def wait_state(self, unit, state='active', timeout=10):
        return h.wait_for(lambda: self.active_state(unit) == state, timeout=timeout,
                          what='%s to be %s' % (unit, state))

    def unit_cgroup(self, unit):
        """ControlGroup of a unit, e.g. /forever-test-1-1/app.slice/x.service."""
        return self.show(unit, 'ControlGroup')

    @staticmethod
    def cgroup_of(pid):
        """The cgroup systemd tracks pid in (name=systemd, or cgroup2's)."""
        found = None
        with open('/proc/%d/cgroup' % pid) as f:
            for line in f:
                hid, ctrls, path = line.rstrip('\n').split(':', 2)
                if ctrls == 'name=systemd':
                    return path
                if hid == '0' and ctrls == '':
                    found = path
        return found

    def cgroup_pids(self):
        """Every pid inside the manager's cgroups, in any hierarchy."""
        pids = set()
        for _, child in self.cgroup_dirs:
            pids.update(_tree_pids(child))
        for cand, existed in self._pre_existing.items():
            if not existed and os.path.isdir(cand):
                pids.update(_tree_pids(cand))
        return pids

    # --- teardown --------------------------------------------------------------
    def close(self):
        if self._done:
            return
        self._done = True
        if self.real:
            return self._close_real()
        if self.proc is not None and self.proc.poll() is None and not h.terminating():
            # A user manager answers SIGTERM by starting exit.target: it stops
            # every unit, then exits.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                sys.stderr.write('systemd --user did not exit within %ss; killing its cgroups\n'
                                 % self.stop_timeout)
        for _ in range(200):
            pids = self.cgroup_pids()
            if self.proc is not None and self.proc.poll() is None:
                pids.add(self.proc.pid)
            if not pids:
                break
            h.kill_pids(pids, signal.SIGKILL)
            time.sleep(0.02)
            h.reap_zombies()
        if self.proc is not None:
            self.proc.wait()
            h._tracked_popens.pop(self.proc.pid, None)
        h.reap_zombies()
        dirs = [(parent, child) for parent, child in self.cgroup_dirs]
        for cand, existed in self._pre_existing.items():
            if not existed and os.path.isdir(cand):
                dirs.append((os.path.dirname(cand), cand))
        for parent, top in dirs:
            _remove_tree(parent, top)
        if self.own_bus and self.env.dbus_proc is None and not self.env.closing and \
                not h.terminating() and os.path.isdir(self.env.runtime_dir):
            self.env._start_bus()     # the Env stays usable after the manager

    def _close_real(self):
        for name in reversed(self.installed):
            self.systemctl('stop', name, check=False)
            try:
                os.unlink(os.path.join(self.unit_dir, name))
            except OSError:
                pass
        for path in self.installed_files:
            try:
                os.unlink(path)
            except OSError:
                pass
        if self.installed:
            self.systemctl('daemon-reload', check=False)


def private_manager_with_forever(env):
    """A private user manager (entered; the Env's cleanup leaves it) with
    forever's units installed; skips where only the machine's own manager
    could be used, since these tests restart units and change its state."""
    um = UserManager(env)
    um.__enter__()
    if um.real:
        raise h.Skip('the machine user manager is in use; these checks need a private one')
    um.install_forever_units()
    return um
