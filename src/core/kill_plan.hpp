#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "core/event_loop.hpp"
#include "core/process.hpp"
#include "core/process_control.hpp"

namespace forever {

// How a run is brought down: killSignal to its process group (with
// killTree also to its tree and to the strays that left both), then
// SIGKILL after killTimeout to whatever is left. Owns the SIGKILL timers of
// runs that are no longer anyone's current run.
class KillPlan {
  public:
    KillPlan(EventLoop& loop, ProcessControl& control) : loop_(loop), control_(control) {}

    // The first step of a stop: killSignal now, SIGKILL after killTimeout
    // (p.timer) if the run is still there.
    void beginStop(Process& p);
    // `signal` to the current run: its group, its tree and strays with
    // killTree, and the main process itself.
    void signalRun(const Process& p, int signal);
    // `signal` to the main process of `run` only (by pidfd when it has one).
    int signalMain(const Run& run, int signal);
    // What a dead run left in its group gets `signal`, then SIGKILL after
    // `timeout`.
    void sweepGroup(pid_t pgid, int signal, Millis timeout);
    // With killTree: processes the app left behind outside its group and
    // tree (found by the FOREVER_UID in their environment) get killSignal,
    // then SIGKILL after killTimeout.
    void stopStrays(const Process& p);
    // Stops a run that is no longer current (the old run after a reload's
    // takeover, or an abandoned incoming run); its exit is reaped with
    // every other child's.
    void retire(const Process& p, Run& run);
    // Whether `pid` is the run's process, in its group, or one of its
    // descendants: who may speak for the run on its notify socket.
    bool belongsTo(const Run& run, pid_t pid);
    // A run a previous foreverd left behind (its pid and /proc start time
    // from the saved state): SIGKILL to it and its group, waiting up to 2 s
    // for it to go, so its port is free. A recycled pid is left alone.
    void killLeftover(pid_t pid, uint64_t startTime);

  private:
    std::vector<pid_t> straysOf(const Process& p);

    EventLoop& loop_;
    ProcessControl& control_;
    std::vector<EventLoop::HandlePtr> sweepers_;
};

}  // namespace forever
