"""A real OpenSSH server on a loopback port, for tests of `foreverctl -H`.

    from sshd import SshClient, Sshd
    with Env(journal=True) as env:
        env.start_daemon()
        client = SshClient(env.path('ssh-client'))
        host = Sshd(env, client)                      # root@127.0.0.1:PORT
        env.ctl('-H', host.spec, 'list', extra_env=client.env())

What is generated per test, so nothing in ~/.ssh or /etc/ssh is read or
written (ssh reads ~/.ssh of the passwd entry, not of $HOME):

* SshClient: an ed25519 client key, a known_hosts file, an ssh_config
  pointing at both (IdentitiesOnly, no agent, StrictHostKeyChecking yes,
  no global known_hosts), and an `ssh` wrapper script that runs
  `/usr/bin/ssh -F that-config "$@"`. `client.env()` sets FOREVER_SSH (the
  ssh program foreverctl runs) to the wrapper.
* Sshd: an ed25519 host key (added to the client's known_hosts as
  `[127.0.0.1]:PORT`), authorized_keys with the client key, and an
  sshd_config: loopback only, public keys only, `UsePAM no` (PAM would open
  a real login session on the machine), `StrictModes no` (the temp dir's
  permissions are the test's, not a home directory's).

The remote side is the test's own Env: the sshd_config's `SetEnv` gives
every session the Env's DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR, so
`systemd-stdio-bridge --user` run by ssh reaches the Env's private bus and
the foreverd on it. On a real host pam_systemd sets XDG_RUNTIME_DIR for an
ssh session; this sshd has no PAM, so SetEnv stands in for it. Two Sshd's
on two Envs are two "hosts" with two foreverd's.

sshd runs as root and needs its privilege-separation directory /run/sshd:
inside the harness's sandbox a tmpfs is mounted there (the empty mount
point is created on the host, like the sandbox's /run/systemd); outside it
the directory is created if missing, as Debian's ssh.service does. sshd is
started through env.popen(), so it and every session it forked are killed
when the Env exits; stop() ends it earlier, by its pid.
"""

import os
import socket
import subprocess
import time

import forever_harness as h

SSHD = '/usr/sbin/sshd'
SSH = '/usr/bin/ssh'
SSH_KEYGEN = '/usr/bin/ssh-keygen'
PRIVSEP_DIR = '/run/sshd'


def _keygen(path, comment):
    subprocess.run([SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    with open(path + '.pub') as f:
        return f.read().strip()


def _ensure_privsep_dir():
    os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)
    if h.sandboxed() and not h._is_mountpoint(PRIVSEP_DIR, 'tmpfs'):
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev',
                        'forever-test', PRIVSEP_DIR], check=True)


class SshClient:
    """Client key, known_hosts, ssh_config and an `ssh` wrapper in `directory`."""

    def __init__(self, directory):
        for prog in (SSH, SSH_KEYGEN, SSHD):
            if not os.access(prog, os.X_OK):
                raise h.Skip('%s is missing (Debian packages openssh-client, openssh-server)'
                             % prog)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.dir = directory
        self.key = os.path.join(directory, 'client_key')
        self.public_key = _keygen(self.key, 'forever-test-client')
        self.known_hosts = os.path.join(directory, 'known_hosts')
        open(self.known_hosts, 'a').close()
        self.config = os.path.join(directory, 'ssh_config')
        with open(self.config, 'w') as f:
            f.write('Host *\n'
                    '  IdentityFile %s\n'
                    '  IdentitiesOnly yes\n'
                    '  IdentityAgent none\n'
                    '  UserKnownHostsFile %s\n'
                    '  GlobalKnownHostsFile /dev/null\n'
                    '  StrictHostKeyChecking yes\n'
                    '  UpdateHostKeys no\n'
                    '  LogLevel ERROR\n' % (self.key, self.known_hosts))
        self.program = os.path.join(directory, 'ssh')
        with open(self.program, 'w') as f:
            f.write('#!/bin/sh\nexec %s -F %s "$@"\n' % (SSH, self.config))
        os.chmod(self.program, 0o755)

    def trust(self, port, host_public_key):
        with open(self.known_hosts, 'a') as f:
            f.write('[127.0.0.1]:%d %s\n' % (port, ' '.join(host_public_key.split()[:2])))

    def env(self):
        """Variables for foreverctl: FOREVER_SSH is our wrapper; no agent."""
        return {'FOREVER_SSH': self.program, 'SSH_AUTH_SOCK': None}

    def argv(self, sshd, *command):
        """ssh argv running command on sshd's host (for checks by hand)."""
        return [self.program, '-p', str(sshd.port), 'root@127.0.0.1'] + list(command)


class Sshd:
    """A running sshd for `env`, accepting `client`'s key for root."""

    def __init__(self, env, client, name=None, extra_config=''):
        if os.geteuid() != 0:
            raise h.Skip('sshd tests need root (sshd must switch to the logged-in user)')
        _ensure_privsep_dir()
        self.env = env
        self.client = client
        env._n_sshd = getattr(env, '_n_sshd', 0) + 1
        self.name = name or 'sshd-%d' % env._n_sshd
        self.dir = env.path(self.name)
        os.makedirs(self.dir, mode=0o700)
        self.host_key = os.path.join(self.dir, 'host_key')
        self.host_public_key = _keygen(self.host_key, 'forever-test-host')
        self.authorized_keys = os.path.join(self.dir, 'authorized_keys')
        with open(self.authorized_keys, 'w') as f:
            f.write(client.public_key + '\n')
        self.log_path = os.path.join(self.dir, 'sshd.log')
        self.extra_config = extra_config
        self.proc = None
        self.port = None
        for _ in range(5):      # the free port may be taken before sshd binds it
            if self._start(h.free_port()):
                break
        else:
            raise AssertionError('sshd did not start; see %s' % self.log_path)
        client.trust(self.port, self.host_public_key)

    @staticmethod
    def without_bridge_config(directory):
        """sshd_config lines for a host without systemd-stdio-bridge: every
        session's PATH is a directory holding only sh and id."""
        os.makedirs(directory, exist_ok=True)
        for prog in ('sh', 'id'):
            os.symlink('/usr/bin/' + prog if os.path.exists('/usr/bin/' + prog) else '/bin/' + prog,
                       os.path.join(directory, prog))
        return 'ForceCommand PATH=%s; export PATH; eval "$SSH_ORIGINAL_COMMAND"\n' % directory

    @property
    def spec(self):
        """What `foreverctl -H` takes for this host."""
        return 'root@127.0.0.1:%d' % self.port

    def _write_config(self, port):
        path = os.path.join(self.dir, 'sshd_config')
        with open(path, 'w') as f:
            f.write('Port %d\n'
                    'ListenAddress 127.0.0.1\n'
                    'HostKey %s\n'
                    'AuthorizedKeysFile %s\n'
                    'PidFile none\n'
                    'PermitRootLogin prohibit-password\n'
                    'PubkeyAuthentication yes\n'
                    'PasswordAuthentication no\n'
                    'KbdInteractiveAuthentication no\n'
                    'UsePAM no\n'
                    'StrictModes no\n'
                    'PrintMotd no\n'
                    'PrintLastLog no\n'
                    'X11Forwarding no\n'
                    'LogLevel VERBOSE\n'
                    'SetEnv DBUS_SESSION_BUS_ADDRESS=%s XDG_RUNTIME_DIR=%s\n'
                    % (port, self.host_key, self.authorized_keys,
                       self.env.bus_address, self.env.runtime_dir))
            f.write(self.extra_config)
        return path

    def _start(self, port):
        config = self._write_config(port)
        log = open(self.log_path, 'ab')
        proc = self.env.popen([SSHD, '-D', '-e', '-f', config], stdout=log,
                              stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=1) as s:
                    if s.recv(64).startswith(b'SSH-'):
                        self.proc, self.port = proc, port
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        return False

    def stop(self):
        """Stop sshd (by its pid) and the sessions it forked; the host is then unreachable."""
        for pid in h.descendants(self.proc.pid):
            h.kill_pids([pid])
        h._terminate(self.proc, 5)

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()
