#!/usr/bin/python3
"""`foreverctl -H [user@]host[:port]` through a real sshd (tests/lib/sshd.py)
to systemd-stdio-bridge and the foreverd of a private bus; two sshd's on
two Envs are two hosts, merged by the fleet view."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import Env, ensure_sandbox, free_port, pid_alive, run, wait_for  # noqa: E402

ensure_sandbox()

from sshd import SshClient, Sshd  # noqa: E402


def remote(env, client, *args, **kw):
    """foreverctl run from `env` with the test's ssh (FOREVER_SSH)."""
    return env.ctl(*args, extra_env=client.env(), **kw)


def one_line_error(r, code):
    assert r.returncode == code, r
    assert r.stderr.count('\n') == 1 and r.stderr.startswith('foreverctl: '), r


def test_verbs_behave_as_locally():
    with Env(journal=True) as env:
        env.start_daemon()
        client = SshClient(env.path('ssh-client'))
        host = Sshd(env, client)
        h = ('-H', host.spec)
        r = remote(env, client, *h, 'start', '--uid', 'web', env.fixture('forever_app.js'))
        assert r.stdout.startswith('started web ('), r
        listed = json.loads(remote(env, client, *h, '--json', 'list').stdout)
        assert [p['uid'] for p in listed] == ['web'], listed
        assert listed[0]['pid'] == env.ctl_json('list')[0]['pid']
        pid = listed[0]['pid']
        # The same table as locally (no HOST column for one host).
        table = remote(env, client, *h, 'list', '--no-color').stdout
        assert table.splitlines()[0].split()[0] == 'uid' and ' web ' in table, table
        wait_for(lambda: 'started %d' % pid in remote(env, client, *h, 'logs', 'web').stdout,
                 timeout=15, interval=0.5, what='remote logs show the app output')
        # A config file read here, its specs sent there.
        cfg = env.path('apps.json')
        with open(cfg, 'w') as f:
            json.dump([{'uid': 'api', 'script': env.fixture('forever_app.js')}], f)
        remote(env, client, *h, 'start', cfg)
        assert sorted(p['uid'] for p in env.ctl_json('list')) == ['api', 'web']
        assert remote(env, client, *h, 'stop', 'web').stdout.strip() == 'stopped web'
        assert not pid_alive(pid)
        r = remote(env, client, *h, 'stop', 'nothing', check=False)
        one_line_error(r, 4)
        assert r.stderr == "foreverctl: %s: no process matches 'nothing'\n" % host.spec, r


def test_logs_follow_remotely():
    with Env(journal=True) as env:
        env.start_daemon()
        client = SshClient(env.path('ssh-client'))
        host = Sshd(env, client)
        env.ctl('start', '--uid', 'talk', env.fixture('forever_app.js'))
        out = env.path('follow.out')
        with open(out, 'w') as f:
            follower = env.popen([os.environ['FOREVERCTL'], '-H', host.spec, 'logs', 'talk', '-f',
                                  '--plain'], extra_env=client.env(), stdout=f)
        wait_for(lambda: 'started' in open(out).read(), timeout=15, what='first lines')
        env.ctl('restart', 'talk')     # new output arrives while following
        wait_for(lambda: open(out).read().count('started') >= 2, timeout=15,
                 what='a line written after `logs -f` began')
        follower.terminate()
        follower.wait(5)


def test_fleet_list_merges_hosts_and_survives_a_dead_one():
    with Env(journal=True) as one, Env(journal=True) as two:
        one.start_daemon()
        two.start_daemon()
        client = SshClient(one.path('ssh-client'))
        h1, h2 = Sshd(one, client), Sshd(two, client)
        one.ctl('start', '--uid', 'alpha', one.fixture('forever_app.js'))
        two.ctl('start', '--uid', 'beta', two.fixture('forever_app.js'))
        fleet = ('-H', h1.spec, '-H', h2.spec)
        t0 = time.monotonic()
        lines = remote(one, client, *fleet, 'list', '--no-color').stdout.splitlines()
        took = time.monotonic() - t0
        assert lines[0].split()[:2] == ['HOST', 'uid'], lines
        rows = sorted(l.split()[:3] for l in lines[1:])
        assert rows == sorted([[h1.spec, '[0]', 'alpha'], [h2.spec, '[0]', 'beta']]), lines
        print('fleet list of 2 hosts: %.2fs' % took)
        merged = json.loads(remote(one, client, *fleet, '--json', 'list').stdout)
        assert sorted((p['host'], p['uid']) for p in merged) == \
            sorted([(h1.spec, 'alpha'), (h2.spec, 'beta')]), merged
        # --hosts FILE is the same fleet.
        hosts = one.path('hosts')
        with open(hosts, 'w') as f:
            f.write('# two hosts\n%s\n\n%s\n' % (h1.spec, h2.spec))
        assert len(json.loads(remote(one, client, '--hosts', hosts, '--json', 'list').stdout)) == 2
        # stop on several hosts: each acts, each reports.
        two.ctl('start', '--uid', 'alpha', two.fixture('forever_app.js'))
        out = remote(one, client, *fleet, 'stop', 'alpha').stdout
        assert sorted(out.splitlines()) == sorted(['%s: stopped alpha' % h1.spec,
                                                   '%s: stopped alpha' % h2.spec]), out
        one.ctl('start', '--uid', 'alpha', one.fixture('forever_app.js'))
        # One host down: its line fails, the other's rows are printed.
        h2.stop()
        r = remote(one, client, *fleet, 'list', '--no-color', check=False)
        assert r.returncode == 3, r
        assert r.stderr.startswith('foreverctl: %s: cannot reach' % h2.spec), r
        assert r.stderr.count('\n') == 1, r
        assert [l.split()[:3] for l in r.stdout.splitlines()[1:]] == \
            [[h1.spec, '[0]', 'alpha']], r


def test_unreachable_host_is_one_line_and_fast():
    with Env() as env:
        client = SshClient(env.path('ssh-client'))
        t0 = time.monotonic()
        r = remote(env, client, '-H', 'root@127.0.0.1:%d' % free_port(), 'list', check=False)
        took = time.monotonic() - t0
        one_line_error(r, 3)
        assert 'Connection refused' in r.stderr, r
        assert took < 10, took     # generous: ssh's ConnectTimeout is 5 s
        r = remote(env, client, '-H', '-oProxyCommand=x', 'list', check=False)
        one_line_error(r, 2)


def test_no_forever_there():
    with Env() as env:
        client = SshClient(env.path('ssh-client'))
        host = Sshd(env, client)     # a bus, but no foreverd on it
        r = remote(env, client, '-H', host.spec, 'list', check=False)
        one_line_error(r, 3)
        assert 'foreverd is not running there' in r.stderr, r


def test_no_bridge_there():
    with Env() as env:
        client = SshClient(env.path('ssh-client'))
        host = Sshd(env, client, extra_config=Sshd.without_bridge_config(env.path('nobridge')))
        r = remote(env, client, '-H', host.spec, 'list', check=False)
        one_line_error(r, 3)
        assert r.stderr == "foreverctl: %s: cannot reach foreverd's bus: systemd-stdio-bridge " \
            "is not installed there\n" % host.spec, r


if __name__ == '__main__':
    sys.exit(run())
