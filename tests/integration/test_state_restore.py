#!/usr/bin/python3
"""The table survives foreverd: after SIGKILL or a clean stop a new foreverd
brings every app back exactly once; a corrupt state file is reported and
kept aside; stopped apps stay stopped."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from forever_harness import (Env, descendants_with_arg, ensure_sandbox, pid_alive,  # noqa: E402
                             run, wait_for)
from state_file import journal_path, saved_processes, stopped_cleanly  # noqa: E402

import subprocess  # noqa: E402

ensure_sandbox()


def instances(script):
    return descendants_with_arg(script)


def state_dir(env):
    return os.path.join(env.state_home, 'forever')


def legacy_file(env):
    """Where a foreverd from before the journal saved its whole table."""
    return os.path.join(state_dir(env), 'processes.json')


def test_kill9_then_restore_exactly_once():
    with Env() as env:
        d = env.start_daemon()
        app = env.fixture('forever_app.js')
        for uid in ('one', 'two', 'three'):
            env.ctl('start', '--uid', uid, app, uid)
        env.ctl('start', '--uid', 'gone', app, 'gone')
        env.ctl('stop', 'gone')
        before = {p['uid']: p['pid'] for p in env.ctl_json('list')}
        assert sorted(before) == ['one', 'three', 'two']
        # Start replies once the record is on disk: no wait needed.
        saved = saved_processes(state_dir(env))
        assert sorted(p['spec']['uid'] for p in saved) == ['one', 'three', 'two'], saved
        assert all(p['pid'] == before[p['spec']['uid']] for p in saved), saved
        assert os.stat(state_dir(env)).st_mode & 0o777 == 0o700

        d.kill9()
        # The apps outlive a SIGKILLed daemon (as under systemd without a
        # cgroup kill); the new daemon must not run them twice.
        assert all(pid_alive(pid) for pid in before.values())
        env.start_daemon()
        after = {p['uid']: p for p in env.ctl_json('list')}
        assert sorted(after) == ['one', 'three', 'two'], after
        for uid, p in after.items():
            assert p['state'] == 'running' and p['pid'] != before[uid], p
        wait_for(lambda: not any(pid_alive(pid) for pid in before.values()),
                 timeout=5, what='the old instances to be gone')
        time.sleep(0.3)
        assert sorted(instances(app)) == sorted(p['pid'] for p in after.values())
        assert 'gone' not in after


def test_clean_stop_then_restore():
    with Env() as env:
        d = env.start_daemon()
        app = env.fixture('forever_app.js')
        env.ctl('start', '--uid', 'keep', '-m', 7, '--killSignal', 'SIGINT', app)
        old = env.ctl_json('list')[0]
        assert d.stop() == 0
        assert not pid_alive(old['pid'])
        env.start_daemon()
        new = env.ctl_json('list')
        assert len(new) == 1 and new[0]['uid'] == 'keep' and new[0]['state'] == 'running'
        assert new[0]['workingDir'] == old['workingDir'] and new[0]['script'] == old['script']
        saved = saved_processes(state_dir(env))[0]['spec']
        assert saved['max'] == 7 and saved['killSignal'] == 'SIGINT'
        assert instances(app) == [new[0]['pid']]


def test_marked_strays_are_swept_after_a_kill9_only():
    """A process carrying foreverd's lineage mark that no record names (what
    a foreverd killed in the middle of a bulk start leaves) is stopped by the
    successor of a killed foreverd, and left alone after a clean stop (the
    mark is inherited by whatever an app starts, a tmux say)."""
    with Env() as env:
        mark = {'FOREVER_SUPERVISOR': state_dir(env)}

        def stray():
            return subprocess.Popen(['sleep', '1000'], env=dict(os.environ, **mark))
        d = env.start_daemon()
        assert d.stop() == 0
        assert stopped_cleanly(state_dir(env))
        left_alone = stray()
        try:
            d = env.start_daemon()
            wait_for(lambda: not stopped_cleanly(state_dir(env)), timeout=5,
                     what='the mark of the clean stop erased by the successor')
            time.sleep(0.2)
            assert left_alone.poll() is None, 'a clean restart swept a marked process'
            d.kill9()
            swept = stray()
            try:
                env.start_daemon()
                wait_for(lambda: swept.poll() is not None, timeout=10,
                         what='the marked stray swept after a kill -9')
                assert left_alone.poll() is not None  # marked too, and no record names it
            finally:
                if swept.poll() is None:
                    swept.kill()
                swept.wait()
        finally:
            if left_alone.poll() is None:
                left_alone.kill()
            left_alone.wait()


def test_corrupt_state_is_reported_and_kept():
    with Env(journal=True) as env:
        path = legacy_file(env)
        os.makedirs(os.path.dirname(path), mode=0o700)
        with open(path, 'w') as f:
            f.write('{"version": 1, "processes": [{"spec": {"script": "/x.js"')  # half-written
        env.start_daemon()
        assert env.ctl_json('list') == []
        kept = [n for n in os.listdir(os.path.dirname(path)) if n.startswith('processes.json.corrupt-')]
        assert len(kept) == 1, os.listdir(os.path.dirname(path))
        assert open(os.path.join(os.path.dirname(path), kept[0])).read().startswith('{"version": 1')
        entries = env.wait_journal(SYSLOG_IDENTIFIER='foreverd', PRIORITY='2')
        assert any('unreadable' in e['MESSAGE'] and kept[0] in e['MESSAGE'] for e in entries), entries
        # And the daemon keeps working and saving.
        env.ctl('start', '--uid', 'fresh', env.fixture('forever_app.js'))
        assert [p['spec']['uid'] for p in saved_processes(state_dir(env))] == ['fresh']


def test_corrupt_journal_is_reported_and_kept():
    with Env(journal=True) as env:
        d = env.start_daemon()
        app = env.fixture('forever_app.js')
        for uid in ('first', 'second'):
            env.ctl('start', '--uid', uid, app, uid)
        d.kill9()
        path = journal_path(state_dir(env))
        text = open(path).read()
        # A flipped byte inside a committed batch: corruption, not a crash.
        at = text.index('"first"')
        open(path, 'w').write(text[:at] + '"fir5t"' + text[at + len('"first"'):])
        env.start_daemon()
        kept = [n for n in os.listdir(state_dir(env)) if n.startswith('state.journal.corrupt-')]
        assert len(kept) == 1, os.listdir(state_dir(env))
        entries = env.wait_journal(SYSLOG_IDENTIFIER='foreverd', PRIORITY='2')
        assert any('corrupt' in e['MESSAGE'] for e in entries), entries
        # The readable record comes back; the corrupt one is reported, not guessed.
        assert [p['uid'] for p in env.ctl_json('list')] == ['second']


def test_unrestorable_entry_is_reported_not_dropped_silently():
    with Env(journal=True) as env:
        path = legacy_file(env)
        os.makedirs(os.path.dirname(path), mode=0o700)
        good = {'spec': {'uid': 'ok', 'script': env.fixture('forever_app.js'), 'command': 'node',
                         'workingDir': env.home}, 'state': 'running', 'restarts': 2}
        bad = {'spec': {'uid': 'bad', 'script': env.fixture('forever_app.js'), 'bogus': 1},
               'state': 'running'}
        json.dump({'version': 1, 'processes': [good, bad]}, open(path, 'w'))
        env.start_daemon()
        listed = env.ctl_json('list')
        assert [p['uid'] for p in listed] == ['ok'] and listed[0]['restarts'] == 2, listed
        entries = env.wait_journal(SYSLOG_IDENTIFIER='foreverd',
                                   predicate=lambda es: any('bogus' in e['MESSAGE'] for e in es))
        assert entries


def test_processes_json_of_an_older_foreverd_is_migrated_once():
    with Env(journal=True) as env:
        path = legacy_file(env)
        os.makedirs(os.path.dirname(path), mode=0o700)
        app = env.fixture('forever_app.js')
        old = [{'spec': {'uid': uid, 'script': app, 'command': 'node', 'workingDir': env.home,
                         'args': [uid]}, 'state': 'running', 'restarts': n}
               for n, uid in enumerate(('m1', 'm2', 'm3'))]
        old.append({'spec': {'uid': 'done', 'script': app, 'command': 'node',
                             'workingDir': env.home}, 'state': 'exited', 'restarts': 0})
        json.dump({'version': 1, 'processes': old}, open(path, 'w'))
        d = env.start_daemon()
        listed = env.ctl_json('list')
        assert [(p['uid'], p['restarts']) for p in listed] == [('m1', 0), ('m2', 1), ('m3', 2)]
        assert not os.path.exists(path) and os.path.exists(path + '.migrated')
        env.wait_journal(SYSLOG_IDENTIFIER='foreverd',
                         predicate=lambda es: any('migrated 4 process' in e['MESSAGE']
                                                  for e in es))
        # The journal holds the restored runs (new pids), not the exited app.
        wait_for(lambda: [(p['spec']['uid'], p.get('pid')) for p in saved_processes(state_dir(env))]
                 == [(p['uid'], p['pid']) for p in listed], what='the restored runs saved')
        assert d.stop() == 0
        env.start_daemon()
        assert [p['uid'] for p in env.ctl_json('list')] == ['m1', 'm2', 'm3']


if __name__ == '__main__':
    sys.exit(run())
