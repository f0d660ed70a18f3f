// Where a run's end turns into what comes next: the pidfd of a run turns
// readable, reapChildren() reaps every exited child, onExit() cleans up
// after the run (its group, strays, pid file), and afterExit() either
// completes what a user asked for (stop, restart, halt) or applies the
// restart policy's decision (restart_policy.hpp's decideRestart): give up,
// or relaunch after its delay.
#include <fmt/format.h>
#include <unistd.h>

#include "core/supervisor.hpp"

namespace forever {

void Supervisor::reapChildren() {
    while (auto reaped = control_.reapOne()) {
        onReaped(*reaped);
    }
}

void Supervisor::reapRun(int pidfd) {
    if (auto reaped = control_.reapPidfd(pidfd)) {
        onReaped(*reaped);
    }
}

void Supervisor::onReaped(const ProcessControl::Reaped& reaped) {
    const ExitStatus status = reaped.status;
    if (Process* p = table_.findByIncomingPid(reaped.pid)) {
        // The new run of a reload died before it took over: the old one
        // keeps serving, and the reload fails with the reason.
        killPlan_.sweepGroup(reaped.pid, p->spec.killSignal, p->spec.killTimeout);
        p->incoming->pid = 0;
        abandonReload(
            *p, fmt::format("the new run exited with {} before it was ready", status.describe()));
    } else if (Process* p = findByPid(reaped.pid)) {
        onExit(*p, status);
    }
    // Anything else is an orphan that was reparented to us (we are a
    // subreaper): reaping it is all it needs, no zombie stays behind.
}

void Supervisor::onExit(Process& p, ExitStatus status) {
    auto uptime = std::chrono::duration_cast<Millis>(loop_.now() - p.run.startedSteady);
    pid_t pgid = p.run.pid;
    p.lastPid = pgid;
    p.run.pid = 0;
    p.run.pidfdWatch.reset();
    p.run.pidfd.reset();
    p.timer.reset();
    health_.runEnded(p);
    p.run.ready = false;
    p.hasExited = true;
    p.lastExit = status;
    if (!p.spec.pidFile.empty()) {
        pidFiles_.remove(p.spec.pidFile);
    }
    // What the app left in its process group (workers, a shell's children)
    // goes with it: leftovers holding its port would break the restart.
    killPlan_.sweepGroup(pgid, p.spec.killSignal, p.spec.killTimeout);
    killPlan_.stopStrays(p);
    emit(Kind::Exited, p);
    if (p.incoming) {
        // Died during a reload: the new run, already up, takes over now
        // rather than a restart starting a third one.
        takeOver(p, fmt::format("the old run ended with {}", status.describe()));
        return;
    }
    afterExit(p, status, uptime);
}

void Supervisor::afterExit(Process& p, ExitStatus status, Millis uptime) {
    switch (p.pending) {
        case Process::Pending::Remove:
            remove(p);
            return;
        case Process::Pending::Halt:
            p.state = ProcState::Stopped;
            p.pending = Process::Pending::None;
            emit(Kind::Changed, p);
            completeHaltIfIdle();
            return;
        case Process::Pending::Restart:
            p.restarts++;
            p.history = {};
            p.recentCrashes = 0;
            relaunch(p);
            finish(p);
            return;
        case Process::Pending::None:
            break;
    }

    RestartDecision d = decideRestart(p.spec, p.history, status, uptime, loop_.now());
    p.recentCrashes = d.recentCrashes;
    if (d.crashLoopStarted) {
        emit(Kind::CrashLoop, p,
             fmt::format("{} failures within {} s", d.recentCrashes,
                         p.spec.crashLoopInterval.count() / 1000));
        launcher_.runAlert(p);
    }
    if (!d.restart) {
        p.state = status.isClean() ? ProcState::Exited : ProcState::Failed;
        p.reason = d.reason;
        emit(Kind::GaveUp, p, d.reason);
        return;
    }
    p.restarts++;
    // Even with no delay the relaunch goes through the loop, never straight
    // from here: a child that exits as fast as it is spawned would otherwise
    // keep reapChildren() busy for ever and starve D-Bus, signals and every
    // other process (found by the 10 000-crash soak test).
    p.state = p.history.crashLooping ? ProcState::CrashLooping : ProcState::Waiting;
    auto fire = [this, &p] {
        p.timer.reset();
        relaunch(p);
    };
    p.timer = d.delay.count() == 0 ? loop_.addUrgent(fire) : loop_.addTimer(d.delay, fire);
    emit(Kind::Changed, p);
}

void Supervisor::relaunch(Process& p) {
    try {
        spawnRun(p);
        emit(Kind::Started, p);
    } catch (const SupervisorError& e) {
        p.state = ProcState::Failed;
        p.reason = e.what();
        emit(Kind::GaveUp, p, p.reason);
    }
}

}  // namespace forever
