#!/usr/bin/python3
"""A passthrough FUSE filesystem whose writes stall on demand, for tests of
what a slow or hung disk (NFS, a dying drive) does to foreverd.

    stall_fs.py BACKING_DIR MOUNTPOINT CONTROL_FILE

Runs in the foreground (the caller owns its pid and unmounts with
`fusermount3 -u`). While CONTROL_FILE exists, every write() blocks until it
is removed (at most 60 s, so a forgotten stall cannot hang a test run for
ever). Only writes stall: lookups, stat and reads answer at once, as on a
real hung NFS server that still serves its cache.

Uses Debian's python3-fuse (fuse-python, API 0.2). Tests use StallMount,
which runs this file as its own process."""

import errno
import os
import subprocess
import sys
import time

MAX_STALL = 60.0


class StallMount:
    """A stall_fs mount at env.path(name), unmounted at the Env's exit (or
    close()). stall() makes writes hang until release()."""

    def __init__(self, env, name='slow'):
        try:
            import fuse  # noqa: F401  (only to say why we skip)
        except ImportError:
            raise h.Skip('python3-fuse is not installed')
        if not os.path.exists('/dev/fuse'):
            raise h.Skip('no /dev/fuse on this machine')
        self.backing = env.path(name + '-backing')
        self.mountpoint = env.path(name)
        self.control = env.path(name + '-stalled')
        os.makedirs(self.backing)
        os.makedirs(self.mountpoint)
        log = open(env.path(name + '-stall_fs.log'), 'ab')
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', os.path.abspath(__file__), self.backing, self.mountpoint,
             self.control], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        env.add_cleanup(self.close)
        h.wait_for(self.mounted, timeout=10, what='the stall_fs mount')

    def mounted(self):
        with open('/proc/self/mountinfo') as f:
            return any(line.split()[4] == self.mountpoint for line in f)

    def path(self, name):
        return os.path.join(self.mountpoint, name)

    def stall(self):
        open(self.control, 'w').close()

    def release(self):
        if os.path.exists(self.control):
            os.unlink(self.control)

    def close(self):
        """Unmounts (lazily if something still holds a file open) and ends
        the server, by its pid."""
        self.release()
        if self.mounted():
            r = subprocess.run(['fusermount3', '-u', self.mountpoint], stderr=subprocess.PIPE)
            if r.returncode != 0:
                subprocess.run(['fusermount3', '-u', '-z', self.mountpoint])
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def main():
    import fuse
    fuse.fuse_python_api = (0, 2)

    backing, mountpoint, control = (os.path.abspath(a) for a in sys.argv[1:4])

    def real(path):
        return backing + path

    def wait_while_stalled():
        t0 = time.monotonic()
        while os.path.exists(control) and time.monotonic() - t0 < MAX_STALL:
            time.sleep(0.02)

    class File:
        def __init__(self, path, flags, *mode):
            self.fd = os.open(real(path), flags, *mode)
            self.append = bool(flags & os.O_APPEND)

        def read(self, length, offset):
            return os.pread(self.fd, length, offset)

        def write(self, buf, offset):
            wait_while_stalled()
            return os.write(self.fd, buf) if self.append else os.pwrite(self.fd, buf, offset)

        def fgetattr(self):
            return os.fstat(self.fd)

        def ftruncate(self, length):
            os.ftruncate(self.fd, length)

        def flush(self):
            return 0

        def fsync(self, isfsyncfile):
            os.fsync(self.fd)

        def release(self, flags):
            os.close(self.fd)

    class StallFs(fuse.Fuse):
        def getattr(self, path):
            return os.lstat(real(path))

        def readdir(self, path, offset):
            for name in ['.', '..'] + os.listdir(real(path)):
                yield fuse.Direntry(name)

        def access(self, path, mode):
            if not os.access(real(path), mode):
                return -errno.EACCES

        def unlink(self, path):
            os.unlink(real(path))

        def rename(self, old, new):
            os.rename(real(old), real(new))

        def mkdir(self, path, mode):
            os.mkdir(real(path), mode)

        def rmdir(self, path):
            os.rmdir(real(path))

        def truncate(self, path, length):
            os.truncate(real(path), length)

        def chmod(self, path, mode):
            os.chmod(real(path), mode)

        def utimens(self, path, ts_acc, ts_mod):
            os.utime(real(path), ns=(ts_acc.tv_sec * 10**9 + ts_acc.tv_nsec,
                                     ts_mod.tv_sec * 10**9 + ts_mod.tv_nsec))

        def statfs(self):
            return os.statvfs(backing)

    server = StallFs(version='stall_fs', usage=__doc__, dash_s_do='setsingle')
    server.multithreaded = True  # a stalled write must not hold up a stat
    server.file_class = File
    server.parse(args=[mountpoint, '-f', '-o', 'fsname=stall_fs'], errex=1)
    server.main()


if __name__ == '__main__':
    main()
else:
    import forever_harness as h
