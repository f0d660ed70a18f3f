"""Test harness for forever's integration tests (Python stdlib only).

Typical test script::

    import sys
    from forever_harness import ensure_sandbox, Env, run, wait_for
    ensure_sandbox()          # first thing: may re-exec under `unshare`

    def test_start_and_list():
        with Env() as env:
            env.start_daemon()
            env.ctl('start', '--uid', 'a', env.fixture('forever_app.js'))
            wait_for(lambda: env.ctl_json('list'), what='a listed')

    if __name__ == '__main__':
        sys.exit(run())

See README.md next to this file for how the sandbox works.
"""

import ctypes
import inspect
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SKIP_EXIT = 77
JOURNAL_SOCKET = '/run/systemd/journal/socket'
JOURNAL_STDOUT = '/run/systemd/journal/stdout'
JOURNALD = '/lib/systemd/systemd-journald'
SANDBOX_MARKER = 'FOREVER_TEST_SANDBOX'
# tmpfs'es mounted inside the sandbox. /run/mount: libmount's utab, which
# systemd --user reads and would otherwise create on the host.
_SANDBOX_MOUNTS = ('/run/systemd', '/run/log', '/run/mount')
_LIB_DIR = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_FIXTURES = os.path.normpath(os.path.join(_LIB_DIR, '..', 'fixtures'))

# Variables a supervisor's environment must never leak into the tested programs.
_SCRUBBED_ENV = ('NOTIFY_SOCKET', 'WATCHDOG_PID', 'WATCHDOG_USEC', 'LISTEN_PID',
                 'LISTEN_PIDFDID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'JOURNAL_STREAM',
                 'INVOCATION_ID', 'MANAGERPID', 'SYSTEMD_EXEC_PID', 'DBUS_SESSION_BUS_PID')


class Skip(Exception):
    """Raise to skip the current test (exit code 77 when every test skipped)."""


# --------------------------------------------------------------------------
# sandbox

_sandboxed = False        # True once ensure_sandbox() mounted the tmpfs'es


def sandboxed():
    """True when running inside the private mount namespace of ensure_sandbox()."""
    return _sandboxed


def have_real_journald():
    """A journald of the machine (not one started by us) is listening."""
    return not _sandboxed and os.path.exists(JOURNAL_SOCKET)


def _mount_ns(pid):
    return os.readlink('/proc/%s/ns/mnt' % pid)


def _is_mountpoint(path, fstype=None):
    path = os.path.realpath(path)
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split()
            sep = fields.index('-')
            if fields[4] == path and (fstype is None or fields[sep + 1] == fstype):
                return True
    return False


def ensure_sandbox():
    """Call first in every test script.

    * Machine with its own journald (a normal systemd host): do nothing.
    * Root without journald (our VMs/CI): re-exec this script as
      `unshare --mount --propagation private python3 script...` with
      FOREVER_TEST_SANDBOX=1, and inside that private mount namespace mount
      tmpfs over /run/systemd, /run/log and /run/mount so a journald and a
      `systemd --user` can be started there without touching the host.
    * Neither: do nothing; journal/user-manager tests raise Skip.
    """
    global _sandboxed
    if os.environ.get(SANDBOX_MARKER) == '1':
        if os.geteuid() != 0:
            sys.exit('%s=1 but not root' % SANDBOX_MARKER)
        # The mount namespace we were re-executed from (PID 1's may be unreadable).
        outer = os.environ.get('FOREVER_TEST_OUTER_MNTNS')
        try:
            same_ns = _mount_ns('self') == (outer or _mount_ns(1))
        except OSError:
            same_ns = True
        if same_ns:
            # Never mount anything over the host's /run.
            sys.exit('%s=1 but this process is not in a private mount namespace; '
                     'refusing to mount over /run' % SANDBOX_MARKER)
        for path in _SANDBOX_MOUNTS:
            if not _is_mountpoint(path, 'tmpfs'):     # nested test scripts: already done
                os.makedirs(path, exist_ok=True)
                subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev',
                                'forever-test', path], check=True)
        _sandboxed = True
        return
    if os.geteuid() != 0 or os.path.exists(JOURNAL_SOCKET):
        return
    unshare = shutil.which('unshare')
    if unshare is None:
        print('skip: running as root without journald, and unshare(1) is missing')
        sys.exit(SKIP_EXIT)
    # Mount points must exist before they can be mounted over. Creating an
    # empty /run/systemd, /run/log or /run/mount on the host is harmless (they
    # exist on every systemd machine); nothing is mounted or written there on
    # the host.
    for path in _SANDBOX_MOUNTS:
        os.makedirs(path, mode=0o755, exist_ok=True)
    env = dict(os.environ)
    env[SANDBOX_MARKER] = '1'
    env['FOREVER_TEST_OUTER_MNTNS'] = _mount_ns('self')
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [unshare, '--mount', '--propagation', 'private',
            sys.executable, os.path.abspath(sys.argv[0])] + sys.argv[1:]
    os.execve(unshare, argv, env)


# --------------------------------------------------------------------------
# /proc helpers

def _stat(pid):
    """(state, ppid, starttime) of pid, or None."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            data = f.read().decode(errors='replace')
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = data[data.rfind(')') + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def _all_stats():
    out = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                out[int(name)] = st
    return out


def pid_alive(pid):
    """pid exists and is not a zombie."""
    st = _stat(pid)
    return st is not None and st[0] not in ('Z', 'X')


def zombies_of(pid):
    """Pids of zombie children of pid."""
    return sorted(p for p, st in _all_stats().items() if st[1] == pid and st[0] == 'Z')


def descendants(pid):
    """Pids of all (living or zombie) descendants of pid, by ppid links."""
    children = {}
    for p, st in _all_stats().items():
        children.setdefault(st[1], []).append(p)
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return sorted(out)


def descendants_with_arg(arg, root=None):
    """Pids of live descendants of root (default: this process) that have
    `arg` as one of their command-line arguments."""
    out = []
    for pid in descendants(os.getpid() if root is None else root):
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if arg.encode() in argv:
            out.append(pid)
    return out


def source_path(*names):
    """Path in the source tree (tests/lib/../..)."""
    return os.path.join(os.path.dirname(os.path.dirname(_LIB_DIR)), *names)


def render_template(path, **subst):
    """Text of a meson configure_file() template with @key@ replaced."""
    with open(path) as f:
        text = f.read()
    for key, value in subst.items():
        text = text.replace('@%s@' % key, str(value))
    return text


def proc_cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return [a.decode(errors='replace') for a in f.read().split(b'\0')[:-1]]
    except OSError:
        return []


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_for(predicate, timeout=10, interval=0.02, what='condition'):
    """Poll predicate until it returns a truthy value, which is returned.

    AssertionError/OSError/ValueError/SubprocessError raised by the predicate
    count as "not yet"; the last one is shown if the wait times out."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (AssertionError, OSError, ValueError, subprocess.SubprocessError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            msg = 'timed out after %gs waiting for %s' % (timeout, what)
            if last_exc is not None:
                msg += '\nlast error: %s: %s' % (type(last_exc).__name__, last_exc)
            raise AssertionError(msg)
        time.sleep(interval)


# --------------------------------------------------------------------------
# process control

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _set_subreaper():
    # Orphans of everything we start re-parent to us, so cleanup finds them.
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _pdeathsig(sig):
    def fn():
        _libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    return fn


_tracked_popens = {}      # pid -> Popen, for every process any Env started


def reap_zombies():
    """Reap zombie children of this process that no Popen object owns
    (orphans re-parented to us because we are a child subreaper)."""
    me = os.getpid()
    for pid in zombies_of(me):
        if pid in _tracked_popens:
            _tracked_popens[pid].poll()
            continue
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def kill_pids(pids, sig=signal.SIGKILL, identities=None):
    """Send sig to each pid still alive (and, if identities maps pid ->
    starttime, still the same process)."""
    for pid in pids:
        st = _stat(pid)
        if st is None or st[0] in ('Z', 'X'):
            continue
        if identities and pid in identities and identities[pid] != st[2]:
            continue
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _terminate(proc, timeout, sig=signal.SIGTERM):
    """Signal a Popen and wait; SIGKILL after timeout. Returns returncode."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# --------------------------------------------------------------------------
# journal

def _fix_field(value):
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        return bytes(value).decode(errors='replace')   # non-UTF-8 / binary field
    return value


def journal_entries(since=None, extra_args=(), env=None, **match):
    """Journal entries matching FIELD=value pairs, as a list of dicts.

    Works with the sandbox journald and with a real one: plain `journalctl`
    reads every journal file the caller may read (system and, for a normal
    user, their own user journal). since: epoch seconds (float) or None."""
    cmd = ['journalctl', '--output=json', '--no-pager', '--all', '--quiet']
    if since is not None:
        cmd.append('--since=@%.6f' % since)
    cmd += list(extra_args)
    cmd += ['%s=%s' % (k, v) for k, v in match.items()]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env, stdin=subprocess.DEVNULL, timeout=30)
    out = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line:
            out.append({k: _fix_field(v) for k, v in json.loads(line).items()})
    if r.returncode != 0 and not out and 'No journal files' not in r.stderr:
        raise AssertionError('journalctl failed (%d): %s' % (r.returncode, r.stderr.strip()))
    return out


def wait_journal(timeout=10, what=None, predicate=None, **match):
    """Wait until journal_entries(**match) is non-empty (and predicate(entries)
    is true); return the entries."""
    def check():
        entries = journal_entries(**match)
        if entries and (predicate is None or predicate(entries)):
            return entries
        return None
    return wait_for(check, timeout=timeout, interval=0.1,
                    what=what or 'journal entries %r' % (match,))


_journald = None          # (Popen, owner Env) of the sandbox journald


def _start_sandbox_journald(owner):
    global _journald
    if _journald and _journald[0].poll() is None:
        return False
    # fresh journal for each owner; old sockets would fool the readiness check
    for d in ('/run/systemd/journal', '/run/log/journal'):
        shutil.rmtree(d, ignore_errors=True)
    log = open(owner.path('journald.log'), 'ab')
    proc = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, preexec_fn=_pdeathsig(signal.SIGKILL),
                            env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                                 'SYSTEMD_LOG_TARGET': 'console'})
    log.close()
    _tracked_popens[proc.pid] = proc
    _journald = (proc, owner)

    def ready():
        if proc.poll() is not None:
            raise RuntimeError('systemd-journald exited with %s; see %s'
                               % (proc.returncode, owner.path('journald.log')))
        return os.path.exists(JOURNAL_SOCKET) and os.path.exists(JOURNAL_STDOUT)
    wait_for(ready, timeout=10, what='systemd-journald sockets')
    return True


def _stop_sandbox_journald(owner):
    global _journald
    if _journald and _journald[1] is owner:
        _terminate(_journald[0], 5)
        _journald = None


# --------------------------------------------------------------------------
# daemon under test

class Daemon:
    """A running foreverd started by Env.start_daemon()."""

    def __init__(self, env, proc, sock, log_path):
        self.env = env
        self.proc = proc
        self.pid = proc.pid
        self.sock = sock
        self.log_path = log_path
        self.notifications = []          # every datagram received, as str
        self.notification_pids = []      # sender pid of each (SO_PASSCRED)
        self.killed = False              # kill9() called: non-zero exit expected
        self.stop_returncode = None
        self._cond = threading.Condition()
        self._read = 0
        if sock is not None:
            threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        # Read continuously, as systemd does: a unix datagram socket queues
        # only ~10 messages, and a full queue blocks the daemon's sd_notify().
        sock = self.sock
        while True:
            try:
                r, _, _ = select.select([sock], [], [], 0.1)
                if not r:
                    if self.sock is None:
                        return
                    continue
                msg, anc, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(12))
            except (OSError, ValueError):
                return
            pid = None
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = int.from_bytes(data[0:4], sys.byteorder, signed=True)
            with self._cond:
                self.notifications.append(msg.decode(errors='replace'))
                self.notification_pids.append(pid)
                self._cond.notify_all()

    def read_notifications(self, timeout=0):
        """Datagrams received since the last call (waiting up to timeout for
        the first); all are also in .notifications."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.notifications) > self._read, timeout)
            new = self.notifications[self._read:]
            self._read = len(self.notifications)
            return new

    def wait_notification(self, substring, timeout=10):
        """Wait for a datagram containing substring (also looks at those
        already received after the last call to this method)."""
        start = getattr(self, '_seen', 0)
        deadline = time.monotonic() + timeout
        while True:
            for i in range(start, len(self.notifications)):
                if substring in self.notifications[i]:
                    self._seen = i + 1
                    return self.notifications[i]
            start = len(self.notifications)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('no notification containing %r within %gs; got %r'
                                     % (substring, timeout, self.notifications))
            if self.proc.poll() is not None:
                raise AssertionError('foreverd exited (%s) before sending %r\n%s'
                                     % (self.proc.returncode, substring, self.log_tail()))
            self.read_notifications(timeout=min(left, 0.1))

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def log_tail(self, max_chars=20000):
        text = self.log()
        if len(text) > max_chars:
            text = '...\n' + text[-max_chars:]
        return '----- %s -----\n%s----- end -----' % (self.log_path, text)

    def stop(self, timeout=10):
        """SIGTERM, wait up to timeout; returns returncode. Raises
        AssertionError (after SIGKILL) if it did not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.killed = True
                raise AssertionError('foreverd (pid %d) did not exit within %gs of SIGTERM'
                                     % (self.pid, timeout))
        self.stop_returncode = self.proc.returncode
        return self.proc.returncode

    def kill9(self):
        """SIGKILL the daemon (its children are left alone) and reap it."""
        self.killed = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        return self.proc.returncode

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# --------------------------------------------------------------------------
# environment

_live_envs = []


class Env:
    """Private, throw-away environment for one test (context manager).

    journal=True: make sure a journald is listening (the machine's, or a
    standalone one inside the sandbox); raises Skip if impossible.

    Attributes: dir, env (dict for children), bus_address, runtime_dir,
    state_home, config_home, data_home, home, journal, daemons, t0.
    """

    def __init__(self, journal=False):
        self.want_journal = journal
        self.journal = False
        self.dir = None
        self.daemons = []
        self.procs = []           # other Popens started through popen()
        self.dbus_proc = None
        self.identities = {}      # pid -> starttime, for safe killing
        self._cleanups = []       # callables run first at exit (LIFO)
        self.closing = False
        self._n_daemons = 0

    # --- setup -------------------------------------------------------------
    def __enter__(self):
        try:
            self._setup()
        except BaseException:
            self._teardown(failed=True)
            raise
        _live_envs.append(self)
        return self

    def _setup(self):
        _set_subreaper()
        self.t0 = time.time()
        _clean_stale_tmp()
        self.dir = tempfile.mkdtemp(prefix='forever-test-%d-' % os.getpid())
        os.chmod(self.dir, 0o755)
        self.runtime_dir = self.path('runtime')
        self.state_home = self.path('state')
        self.config_home = self.path('config')
        self.data_home = self.path('data')
        self.cache_home = self.path('cache')
        self.home = self.path('home')
        os.mkdir(self.runtime_dir, 0o700)
        os.chmod(self.runtime_dir, 0o700)
        for d in (self.state_home, self.config_home, self.data_home, self.cache_home, self.home):
            os.mkdir(d)
        env = dict(os.environ)
        for k in _SCRUBBED_ENV:
            env.pop(k, None)
        env.pop(SANDBOX_MARKER, None)
        env.pop('FOREVER_TEST_OUTER_MNTNS', None)
        self.bus_address = 'unix:path=%s/bus' % self.runtime_dir
        env.update({
            'DBUS_SESSION_BUS_ADDRESS': self.bus_address,
            'XDG_RUNTIME_DIR': self.runtime_dir,
            'XDG_STATE_HOME': self.state_home,
            'XDG_CONFIG_HOME': self.config_home,
            'XDG_DATA_HOME': self.data_home,
            'XDG_CACHE_HOME': self.cache_home,
            'HOME': self.home,
            'SYSTEMD_PAGER': '',
            'SYSTEMD_COLORS': '0',
        })
        self.env = env

        if self.want_journal:
            if have_real_journald():
                self.journal = True
            elif _sandboxed:
                _start_sandbox_journald(self)
                self.journal = True
            else:
                raise Skip('no journald on this machine and not root '
                           '(ensure_sandbox() can only build one as root)')
        self._start_bus()

    def _start_bus(self):
        dbus = shutil.which('dbus-daemon')
        if dbus is None:
            raise Skip('dbus-daemon not installed')
        args = [dbus, '--session', '--address=' + self.bus_address, '--nofork',
                '--nopidfile', '--print-address=1']
        log = open(self.path('dbus-daemon.log'), 'ab')
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log, env=self.env, cwd=self.home,
                                preexec_fn=_pdeathsig(signal.SIGKILL))
        log.close()
        self._track(proc)
        self.dbus_proc = proc
        r, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline().decode().strip() if r else ''
        proc.stdout.close()
        if not line:
            raise RuntimeError('dbus-daemon did not start; see %s' % self.path('dbus-daemon.log'))

    def _stop_bus(self):
        """Stop our dbus-daemon (a UserManager then serves the same address)."""
        if self.dbus_proc is not None:
            _terminate(self.dbus_proc, 5)
            _tracked_popens.pop(self.dbus_proc.pid, None)
            self.dbus_proc = None
        try:
            os.unlink(os.path.join(self.runtime_dir, 'bus'))
        except FileNotFoundError:
            pass

    def _track(self, proc):
        _tracked_popens[proc.pid] = proc
        st = _stat(proc.pid)
        if st:
            self.identities[proc.pid] = st[2]

    # --- helpers -------------------------------------------------------------
    def path(self, *names):
        """Path under the test's temporary directory."""
        return os.path.join(self.dir, *names)

    @staticmethod
    def fixture(name):
        """Absolute path of tests/fixtures/<name>."""
        return os.path.join(os.environ.get('FOREVER_FIXTURES', _DEFAULT_FIXTURES), name)

    def add_cleanup(self, fn):
        """Run fn() at exit, before the daemons are stopped (LIFO)."""
        self._cleanups.append(fn)

    def child_env(self, extra_env=None):
        env = dict(self.env)
        if extra_env:
            for k, v in extra_env.items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[k] = str(v)
        return env

    def popen(self, args, extra_env=None, **kw):
        """Start any program in this environment; it (and its descendants)
        is killed at exit."""
        kw.setdefault('stdin', subprocess.DEVNULL)
        kw.setdefault('cwd', self.home)
        kw.setdefault('preexec_fn', _pdeathsig(signal.SIGKILL))
        proc = subprocess.Popen(args, env=self.child_env(extra_env), **kw)
        self._track(proc)
        self.procs.append(proc)
        return proc

    def run(self, args, check=True, input=None, timeout=20, extra_env=None, cwd=None):
        """Run a command to completion in this environment (text mode)."""
        try:
            r = subprocess.run(args, env=self.child_env(extra_env), input=input,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=timeout, cwd=cwd or self.home)
        except subprocess.TimeoutExpired as e:
            raise AssertionError('command timed out after %gs: %s\nstdout: %s\nstderr: %s'
                                 % (timeout, _fmt_args(args), _s(e.stdout), _s(e.stderr))) from None
        if check and r.returncode != 0:
            raise AssertionError('command failed with exit code %d: %s\n--- stdout:\n%s'
                                 '--- stderr:\n%s' % (r.returncode, _fmt_args(args),
                                                      r.stdout, r.stderr))
        return r

    def ctl(self, *args, check=True, input=None, timeout=20, extra_env=None, cwd=None):
        """Run $FOREVERCTL args...; returns CompletedProcess (text)."""
        exe = os.environ.get('FOREVERCTL')
        if not exe:
            raise AssertionError('FOREVERCTL is not set (path of the foreverctl binary)')
        return self.run([exe] + [str(a) for a in args], check=check, input=input,
                        timeout=timeout, extra_env=extra_env, cwd=cwd)

    def ctl_json(self, *args, **kw):
        """ctl(*args, '--json') parsed as JSON."""
        r = self.ctl(*(args + ('--json',)), **kw)
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            raise AssertionError('foreverctl %s --json printed invalid JSON (%s):\n%s'
                                 % (' '.join(map(str, args)), e, r.stdout))

    def journal_entries(self, **match):
        """journal_entries() limited to entries written since this Env started."""
        return journal_entries(since=self.t0 - 1, **match)

    def wait_journal(self, timeout=10, what=None, predicate=None, **match):
        return wait_journal(timeout=timeout, what=what, predicate=predicate,
                            since=self.t0 - 1, **match)

    # --- daemon ---------------------------------------------------------------
    def start_daemon(self, extra_args=(), extra_env=None, wait_ready=True, timeout=10,
                     exe=None):
        """Start `$FOREVERD --foreground` with NOTIFY_SOCKET pointing at a
        socket of ours; wait for READY=1 unless wait_ready is False.
        exe overrides $FOREVERD (the harness self-test uses a fake)."""
        exe = exe or os.environ.get('FOREVERD')
        if not exe:
            raise AssertionError('FOREVERD is not set (path of the foreverd binary)')
        self._n_daemons += 1
        sock_path = self.path('notify-%d.sock' % self._n_daemons)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind(sock_path)
        env = {'NOTIFY_SOCKET': sock_path}
        env.update(extra_env or {})
        log_path = self.path('foreverd.log')
        log = open(log_path, 'ab')
        argv = [exe, '--foreground'] + [str(a) for a in extra_args]
        log.write(b'===== foreverd #%d: %s =====\n' % (self._n_daemons, ' '.join(argv).encode()))
        log.flush()
        proc = subprocess.Popen(argv, env=self.child_env(env), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, cwd=self.home,
                                preexec_fn=_pdeathsig(signal.SIGTERM))
        log.close()
        self._track(proc)
        daemon = Daemon(self, proc, sock, log_path)
        self.daemons.append(daemon)
        if wait_ready:
            daemon.wait_notification('READY=1', timeout=timeout)
        return daemon

    @property
    def daemon(self):
        """The most recently started daemon."""
        return self.daemons[-1] if self.daemons else None

    # --- teardown -------------------------------------------------------------
    def __exit__(self, exc_type, exc, tb):
        self._teardown(failed=exc_type is not None)
        return False

    def _roots(self):
        return [d.proc for d in self.daemons] + self.procs + \
            [p for p in (self.dbus_proc,) if p is not None]

    def _teardown(self, failed):
        self.closing = True
        if self in _live_envs:
            _live_envs.remove(self)
        errors = []
        while self._cleanups:
            try:
                self._cleanups.pop()()
            except Exception:
                errors.append(traceback.format_exc())
        try:
            self._kill_everything()
        except Exception:
            errors.append(traceback.format_exc())
        for d in self.daemons:
            d.close()
            rc = d.proc.returncode
            if failed or (rc not in (0, None) and not d.killed and d.stop_returncode is None) \
                    or (d.stop_returncode not in (0, None)):
                sys.stderr.write('foreverd pid %d exit status %s\n%s\n'
                                 % (d.pid, rc, d.log_tail()))
        if self.dir and os.environ.get('FOREVER_TEST_KEEP') != '1':
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir:
            sys.stderr.write('kept test directory %s\n' % self.dir)
        if errors:
            sys.stderr.write('errors during cleanup:\n' + '\n'.join(errors))

    def _kill_everything(self):
        roots = self._roots()
        victims = set()

        def collect():
            for p in roots:
                if p.poll() is None:
                    victims.add(p.pid)
                for c in descendants(p.pid):
                    victims.add(c)
                    st = _stat(c)
                    if st and c not in self.identities:
                        self.identities[c] = st[2]
        collect()
        # 1. SIGTERM the daemons and give them time to stop their children
        for d in self.daemons:
            if d.proc.poll() is None:
                d.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + (0.2 if _terminating else 10)
        for d in self.daemons:
            try:
                d.proc.wait(max(0.0, deadline - time.monotonic()))
                if d.stop_returncode is None and not d.killed:
                    d.stop_returncode = d.proc.returncode
            except subprocess.TimeoutExpired:
                d.proc.kill()
                d.proc.wait()
                sys.stderr.write('foreverd pid %d ignored SIGTERM for 10 s; SIGKILLed\n' % d.pid)
        # 2. everything else we started or that descends from it: SIGKILL
        collect()
        others = set(_others_pids(self))
        me = os.getpid()
        for _ in range(50):
            # orphans re-parented to us (we are a subreaper) belong to us too
            for c in descendants(me):
                if c not in others and c not in _tracked_popens_of_others(self):
                    victims.add(c)
                    st = _stat(c)
                    if st and c not in self.identities:
                        self.identities[c] = st[2]
            alive = [p for p in victims if pid_alive(p)]
            if not alive:
                break
            kill_pids(alive, signal.SIGKILL, self.identities)
            time.sleep(0.02)
            reap_zombies()
        for p in roots:
            if p.poll() is None:
                p.kill()
            p.wait()
            _tracked_popens.pop(p.pid, None)
        _stop_sandbox_journald(self)
        reap_zombies()


def _clean_stale_tmp():
    """Remove temp dirs of harnesses that died without cleaning up."""
    tmp = tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        parts = name.split('-')
        if len(parts) == 4 and name.startswith('forever-test-') and parts[2].isdigit() \
                and not pid_alive(int(parts[2])):
            path = os.path.join(tmp, name)
            try:
                if time.time() - os.stat(path).st_mtime < 60:
                    continue
            except OSError:
                continue
            shutil.rmtree(path, ignore_errors=True)


def _others_pids(env):
    """Pids belonging to other live Envs (nested use), never killed by env."""
    out = set()
    for other in _live_envs:
        if other is env:
            continue
        for p in other._roots():
            out.add(p.pid)
            out.update(descendants(p.pid))
    if _journald:                 # stopped gracefully by its owner, not SIGKILLed
        out.add(_journald[0].pid)
    return out


def _tracked_popens_of_others(env):
    return set(p.pid for other in _live_envs if other is not env for p in other._roots())


def _fmt_args(args):
    return ' '.join(str(a) for a in args)


def _s(x):
    if x is None:
        return ''
    return x.decode(errors='replace') if isinstance(x, bytes) else x


# --------------------------------------------------------------------------
# runner

class _Terminated(BaseException):
    pass


_terminating = False      # SIGTERM seen: tear down fast (meson SIGKILLs 0.5 s later)


def terminating():
    return _terminating


def _on_sigterm(signum, frame):
    global _terminating
    _terminating = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)   # let the cleanup finish
    raise _Terminated()


def run(tests=None):
    """Run test functions; print `ok NAME`, `skip NAME: why`, `FAIL NAME`.

    tests: list of functions, or None for every test_* function of the
    calling module (in definition order). Names given on the command line
    select tests. Returns 0 (all passed), 1 (a failure) or 77 (all skipped)."""
    if tests is None:
        caller = inspect.stack()[1].frame.f_globals
        tests = [f for n, f in caller.items() if n.startswith('test_') and callable(f)]
    wanted = [a for a in sys.argv[1:] if not a.startswith('-')]
    if wanted:
        tests = [t for t in tests if t.__name__ in wanted]
    signal.signal(signal.SIGTERM, _on_sigterm)
    _set_subreaper()
    passed = failed = skipped = 0
    for t in tests:
        name = t.__name__
        start = time.monotonic()
        try:
            t()
        except Skip as e:
            skipped += 1
            print('skip %s: %s' % (name, e), flush=True)
            continue
        except _Terminated:
            print('FAIL %s: terminated (SIGTERM, test timeout?)' % name, flush=True)
            return 1
        except BaseException:
            failed += 1
            print('FAIL %s (%.2fs)' % (name, time.monotonic() - start), flush=True)
            traceback.print_exc()
            sys.stdout.flush()
            sys.stderr.flush()
            if sys.exc_info()[0] is KeyboardInterrupt:
                return 1
            continue
        passed += 1
        print('ok %s (%.2fs)' % (name, time.monotonic() - start), flush=True)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped), flush=True)
    if failed:
        return 1
    if skipped and not passed:
        return SKIP_EXIT
    return 0
