#!/usr/bin/python3
"""Side-by-side benchmark: foreverd/foreverctl vs forever (npm) vs PM2 (npm).

Installs forever and pm2 with npm into a temporary directory (never
globally), gives each tool its own HOME, runs the same trivial Node apps
under each, prints a table, and stops everything it started by pid.

    bench/run.py [--build DIR] [--quick] [--json OUT]

--quick: fewer apps and shorter waits (for CI smoke runs); the figures in
RESULTS.md come from a full run.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

FOREVER_VERSION = '4.0.3'
PM2_VERSION = '7.0.4'
THROUGHPUT = 'log throughput to a file (MB/s, median of 3)'
CLK_TCK = os.sysconf('SC_CLK_TCK')
PAGE = os.sysconf('SC_PAGE_SIZE')

APP = "setInterval(() => {}, 1000);\n"
FLOOD = r'''
const total = Number(process.argv[2]) * 1048576;
const line = 'x'.repeat(99) + '\n';
let written = 0;
function pump() {
  while (written < total) {
    const chunk = line.repeat(655);
    written += chunk.length;
    if (!process.stdout.write(chunk)) { process.stdout.once('drain', pump); return; }
  }
  setInterval(() => {}, 1000);
}
pump();
'''


# ---------------------------------------------------------------- /proc ---
def all_pids():
    return [int(p) for p in os.listdir('/proc') if p.isdigit()]


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().split(b'\0')
    except OSError:
        return []


def rss(pid):
    try:
        with open('/proc/%d/statm' % pid) as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0


def cpu_ticks(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


def environ_of(pid):
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            return f.read().split(b'\0')
    except OSError:
        return []


def app_markers(script, prefix):
    """{BENCH_APP value: pid} of the apps running `script` whose BENCH_APP
    starts with `prefix`. Apps are found by their environment, not their
    arguments: PM2 overwrites its apps' command lines (process.title) with
    "node SCRIPT", dropping the arguments. Tool processes (forever's
    monitors mention the script too) live under node_modules and are left
    out; so is PM2's God daemon, whose title does not mention the script."""
    script_b = script.encode()
    key = b'BENCH_APP=' + prefix.encode()
    out = {}
    for p in all_pids():
        argv = cmdline(p)
        if not any(script_b in a for a in argv) or any(b'node_modules' in a for a in argv):
            continue
        for var in environ_of(p):
            if var.startswith(key):
                out[var.split(b'=', 1)[1].decode()] = p
    return out


def pids_with(needle):
    needle = needle.encode()
    return [p for p in all_pids() if any(needle in a for a in cmdline(p))]


def wait_until(pred, timeout, step=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


# ---------------------------------------------------------------- tools ---
class Tool:
    name = '?'

    def __init__(self, root):
        self.root = root
        self.env = dict(os.environ)

    def run(self, *args, check=True, mark=None):
        env = dict(self.env, BENCH_APP=mark) if mark else self.env
        return subprocess.run(list(args), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=check, cwd=self.root)

    def supervisor_pids(self):
        raise NotImplementedError


class Ours(Tool):
    name = 'forever (this)'

    def __init__(self, root, build):
        super().__init__(root)
        self.ctl = os.path.join(build, 'src', 'cli', 'foreverctl')
        foreverd = os.path.join(build, 'src', 'daemon', 'foreverd')
        run_dir = os.path.join(root, 'run')
        os.makedirs(run_dir, mode=0o700)
        self.env.update(XDG_RUNTIME_DIR=run_dir, XDG_STATE_HOME=os.path.join(root, 'state'),
                        XDG_CONFIG_HOME=os.path.join(root, 'config'), HOME=root)
        self.env.pop('NOTIFY_SOCKET', None)
        bus = os.path.join(run_dir, 'bus')
        self.bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork',
                                     '--address=unix:path=' + bus], env=self.env)
        wait_until(lambda: os.path.exists(bus), 5)
        self.env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=' + bus
        self.daemon = None
        try:
            self.daemon = subprocess.Popen([foreverd, '--foreground'], env=self.env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(lambda: self.run(self.ctl, 'list', check=False).returncode == 0, 10)
        except BaseException:
            self.close()  # the bus (and daemon) started so far, not left behind
            raise

    def start(self, script, uid, args=(), out=None):
        # No rotation: the others do not rotate, and the file must grow.
        extra = ['-o', out, '--logMaxBytes', '0'] if out else []
        self.run(self.ctl, 'start', '--uid', uid, *extra, script, *args, mark=uid)

    def list_argv(self):
        return [self.ctl, 'list']

    def stopall(self):
        self.run(self.ctl, 'stopall')

    def supervisor_pids(self):
        return [self.daemon.pid]

    def close(self):
        for proc in (self.daemon, self.bus):
            if proc is None:
                continue
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def npm_install(root, npm_prefix, pkgs):
    """npm install into npm_prefix (never globally), its cache under root.
    Returns None, or the end of npm's output when it failed."""
    os.makedirs(npm_prefix, exist_ok=True)
    r = subprocess.run(['npm', 'install', '--prefix', npm_prefix, '--no-audit',
                        '--no-fund', '--loglevel=error'] + pkgs,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, npm_config_cache=os.path.join(root, 'npm-cache')))
    return None if r.returncode == 0 else r.stdout[-2000:]


class NpmTool(Tool):
    def __init__(self, root, npm_prefix, home_name):
        super().__init__(root)
        self.home = os.path.join(root, home_name)
        os.makedirs(self.home)
        self.env.update(HOME=self.home)
        self.bin = os.path.join(npm_prefix, 'node_modules', '.bin')
        self.pkg_dir = os.path.join(npm_prefix, 'node_modules')

    def supervisor_pids(self):
        # Every node process running the tool's own code.
        return [p for p in pids_with(self.pkg_dir)]


class ForeverNpm(NpmTool):
    name = 'forever %s' % FOREVER_VERSION

    def __init__(self, root, npm_prefix):
        super().__init__(root, npm_prefix, 'home-forever')
        self.env['FOREVER_ROOT'] = os.path.join(self.home, '.forever')

    def start(self, script, uid, args=(), out=None):
        extra = ['-o', out] if out else []
        self.run(os.path.join(self.bin, 'forever'), 'start', '--uid', uid, '--minUptime', '1000',
                 '--spinSleepTime', '1000', *extra, script, *args, mark=uid)

    def list_argv(self):
        return [os.path.join(self.bin, 'forever'), 'list']

    def stopall(self):
        self.run(os.path.join(self.bin, 'forever'), 'stopall', check=False)

    def close(self):
        self.stopall()


class Pm2Npm(NpmTool):
    name = 'pm2 %s' % PM2_VERSION

    def __init__(self, root, npm_prefix):
        super().__init__(root, npm_prefix, 'home-pm2')
        self.env['PM2_HOME'] = os.path.join(self.home, '.pm2')

    def start(self, script, uid, args=(), out=None):
        extra = ['--output', out, '--merge-logs'] if out else []
        self.run(os.path.join(self.bin, 'pm2'), 'start', script, '--name', uid, *extra,
                 *(['--', *args] if args else []), mark=uid)

    def list_argv(self):
        return [os.path.join(self.bin, 'pm2'), 'jlist']

    def supervisor_pids(self):
        # The God daemon renames itself ("PM2 v7.0.4: God Daemon (...)"):
        # found by its pid file, plus any pm2 CLI still running.
        pids = super().supervisor_pids()
        try:
            with open(os.path.join(self.env['PM2_HOME'], 'pm2.pid')) as f:
                pids.append(int(f.read().strip()))
        except (OSError, ValueError):
            pass
        return pids

    def stopall(self):
        self.run(os.path.join(self.bin, 'pm2'), 'delete', 'all', check=False)

    def close(self):
        self.stopall()
        self.run(os.path.join(self.bin, 'pm2'), 'kill', check=False)


# ------------------------------------------------------------ measures ---
def start_apps(tool, app, n, tag):
    t0 = time.monotonic()
    for i in range(n):
        tool.start(app, '%s-%d' % (tag, i), args=['bench-%s-%d' % (tag, i)])
    ok = wait_until(lambda: len(app_markers(app, tag + '-')) >= n, 120, 0.05)
    return time.monotonic() - t0 if ok else None


def supervisor_rss(tool):
    return sum(rss(p) for p in tool.supervisor_pids())


def spawn_latency(argv, env, runs=20):
    """Median wall time of running argv to completion, its output to
    /dev/null. posix_spawn, not subprocess.run: the harness's own cost
    (pipes, Python's fork path) would otherwise be a millisecond of noise
    in a figure whose goal is 5 ms."""
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
        _, status = os.waitpid(pid, 0)
        times.append(time.perf_counter() - t0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError('%s failed' % ' '.join(argv))
    return statistics.median(times)


def list_latency(tool, runs=20):
    return spawn_latency(tool.list_argv(), tool.env, runs)


def ppid(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return int(f.read().rsplit(')', 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def children_of(pid):
    out = set()
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, tid)) as f:
                out.update(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def restart_latency(tool, app, tag, runs):
    """kill -9 of `runs` different apps (each its first failure, so no
    back-off applies), timed until a new process runs that app. Only the
    new children of the killed app's parent (foreverd, forever's monitor,
    PM2's God daemon) are looked at: a scan of every process per poll
    would take longer than the restart it measures."""
    script_b = app.encode()
    times = []
    for i in range(runs):
        uid = '%s-%d' % (tag, i)
        marker = ('BENCH_APP=' + uid).encode()
        old = app_markers(app, uid).get(uid)
        parent = ppid(old) if old else None
        if not parent:
            return None
        known = children_of(parent)

        def replacement():
            for c in children_of(parent) - known:
                argv = cmdline(c)
                if (any(script_b in a for a in argv) and
                        not any(b'node_modules' in a for a in argv) and
                        marker in environ_of(c)):
                    return c
            return None  # not yet exec'd (still the parent's argv), or not it
        t0 = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        new = wait_until(replacement, 30, 0.0005)
        if not new:
            return None
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def idle_cpu(tool, seconds):
    pids = tool.supervisor_pids()
    before = sum(cpu_ticks(p) for p in pids)
    time.sleep(seconds)
    after = sum(cpu_ticks(p) for p in tool.supervisor_pids())
    return (after - before) / CLK_TCK


def log_throughput(tool, flood, megabytes, root, tag):
    """MB/s of one app writing `megabytes` through the tool to a file,
    median of 3 (one run swings by 2x on this kind of machine)."""
    rates = []
    for run in range(3):
        out = os.path.join(root, '%s-flood-%d.log' % (tag, run))
        target = megabytes * 1048576
        t0 = time.monotonic()
        tool.start(flood, '%s-flood-%d' % (tag, run), args=[str(megabytes)], out=out)
        ok = wait_until(lambda: os.path.exists(out) and os.path.getsize(out) >= target * 0.99,
                        300, 0.02)
        elapsed = time.monotonic() - t0
        tool.stopall()
        if os.path.exists(out):
            os.unlink(out)
        if not ok:
            return None
        rates.append(megabytes / elapsed)
        time.sleep(1)
    return statistics.median(rates)


def cat_throughput(flood, megabytes, root):
    rates = []
    for run in range(3):
        out = os.path.join(root, 'cat-flood.log')
        t0 = time.monotonic()
        with open(out, 'w') as f:
            node = subprocess.Popen(['node', flood, str(megabytes)], stdout=subprocess.PIPE)
            cat = subprocess.Popen(['cat'], stdin=node.stdout, stdout=f)
            node.stdout.close()
            wait_until(lambda: os.path.getsize(out) >= megabytes * 1048576 * 0.99, 300, 0.02)
            elapsed = time.monotonic() - t0
            node.kill()
            node.wait()
            cat.wait()
        os.unlink(out)
        rates.append(megabytes / elapsed)
    return statistics.median(rates)


# ---------------------------------------------------------------- main ---
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(os.path.dirname(__file__), '..', 'build'))
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--json')
    ap.add_argument('--only', help='comma-separated: ours,forever,pm2')
    ap.add_argument('--throughput-only', action='store_true',
                    help='only the log throughput rows (before/after a change to log writing)')
    opts = ap.parse_args()
    counts = [1, 10, 30] if opts.quick else [1, 10, 100]
    if opts.throughput_only:
        counts = []
    idle_seconds = 10 if opts.quick else 60
    kills = 5 if opts.quick else 20
    flood_mb = 20 if opts.quick else 200

    root = tempfile.mkdtemp(prefix='forever-bench-')
    app = os.path.join(root, 'app.js')
    flood = os.path.join(root, 'flood.js')
    with open(app, 'w') as f:
        f.write(APP)
    with open(flood, 'w') as f:
        f.write(FLOOD)
    tools = []
    started_by_us = set()
    results = {}
    try:
        only = (opts.only or 'ours,forever,pm2').split(',')
        if 'ours' in only:
            tools.append(Ours(os.path.join(root, 'ours'), os.path.abspath(opts.build)))
        npm_prefix = os.path.join(root, 'npm')
        if {'forever', 'pm2'} & set(only):
            pkgs = []
            if 'forever' in only:
                pkgs.append('forever@' + FOREVER_VERSION)
            if 'pm2' in only:
                pkgs.append('pm2@' + PM2_VERSION)
            failure = npm_install(root, npm_prefix, pkgs)
            if failure:
                print('npm install failed; comparing with ours only:\n' + failure)
            else:
                if 'forever' in only:
                    tools.append(ForeverNpm(root, npm_prefix))
                if 'pm2' in only:
                    tools.append(Pm2Npm(root, npm_prefix))
        before = set(all_pids())
        for tool in tools:
            print('== %s' % tool.name, flush=True)
            res = results[tool.name] = {}
            total = 0
            for n in counts:
                tag = 't%d' % n
                res['start %d apps (s)' % n] = start_apps(tool, app, n, tag)
                total += n
                time.sleep(2)
                res['supervisor RSS, %d apps (MB)' % n] = supervisor_rss(tool) / 1048576
                if n in (10, counts[-1]):
                    res['list, %d apps (ms, median of 20)' % total] = list_latency(tool) * 1000
                if n == counts[-1]:
                    res['supervisor CPU, %d apps idle %ds (s)' % (total, idle_seconds)] = \
                        idle_cpu(tool, idle_seconds)
                    time.sleep(1.5)  # every app past minUptime: a crash, not a spin
                    res['kill -9 to new pid (ms, median of %d)' % kills] = \
                        (lambda v: v * 1000 if v else None)(restart_latency(tool, app, tag, kills))
                print('   %s' % json.dumps(res), flush=True)
            tool.stopall()
            time.sleep(1)
            res[THROUGHPUT] = log_throughput(tool, flood, flood_mb, root, tool.name.split()[0])
            started_by_us.update(set(all_pids()) - before)
        results['cat to a file'] = {THROUGHPUT: cat_throughput(flood, flood_mb, root)}
        # The floor under every `list` figure: starting any program at all.
        if not opts.throughput_only:
            results['floor'] = {
                'spawn /bin/true (ms, median of 20)':
                    spawn_latency(['/bin/true'], dict(os.environ)) * 1000,
                'spawn systemctl --version (ms, median of 20)':
                    spawn_latency(['/usr/bin/systemctl', '--version'], dict(os.environ)) * 1000,
            }
    finally:
        for tool in tools:
            try:
                tool.close()
            except Exception as e:  # keep cleaning up
                print('close %s: %s' % (tool.name, e))
        # Whatever we started and is still there (by pid, never by name).
        for pid in set(all_pids()) - before if 'before' in dir() else []:
            if any(root.encode() in a for a in cmdline(pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(root, ignore_errors=True)
    print_table(results)
    if opts.json:
        with open(opts.json, 'w') as f:
            json.dump(results, f, indent=2)


def print_table(results):
    names = list(results)
    rows = []
    for res in results.values():
        for k in res:
            if k not in rows:
                rows.append(k)
    width = max(len(r) for r in rows) + 2
    print('\n' + ''.join(n.ljust(18) for n in [''.ljust(width)] + names))
    for r in rows:
        cells = []
        for n in names:
            v = results[n].get(r)
            cells.append(('-' if v is None else ('%.3g' % v)).ljust(18))
        print(r.ljust(width) + ''.join(cells))


if __name__ == '__main__':
    main()
