#pragma once

#include <chrono>
#include <deque>
#include <string>

#include "core/exit_status.hpp"
#include "core/process_spec.hpp"

namespace forever {

using SteadyTime = std::chrono::steady_clock::time_point;

// What the policy remembers about one process between its runs.
struct RestartHistory {
    unsigned restarts = 0;             // automatic restarts so far (forever's "times")
    unsigned consecutiveFailures = 0;  // failures without a stable run between them
    std::deque<SteadyTime> crashes;    // failures inside the crash-loop window
    bool crashLooping = false;
};

struct RestartDecision {
    bool restart = false;
    Millis delay{0};
    bool spinning = false;          // died before minUptime
    bool crashLoopStarted = false;  // this exit made it cross the burst limit
    unsigned recentCrashes = 0;     // failures in the window, this one included
    std::string reason;             // why not restarted (empty when restarted)
};

// The one place where an exit turns into a restart or not. Pure: the caller
// passes the uptime of the run that just ended and the current time, and the
// history is updated as if the decision were carried out.
//
// forever's rules: a run shorter than minUptime is "spinning": without
// spinSleepTime it is not restarted, with it the restart waits that long;
// after `max` restarts it gives up. systemd's rules: restart=always |
// on-failure | no; the delay doubles with each consecutive failure from
// restartDelay (at least 100 ms once backing off) up to restartDelayMax, and
// a run of backoffResetAfter forgets past failures; crashLoopBurst failures
// within crashLoopInterval mark the process crash-looping (it keeps being
// restarted at the capped back-off, and the caller raises the alarm once).
RestartDecision decideRestart(const ProcessSpec& policy, RestartHistory& history,
                              const ExitStatus& status, Millis uptime, SteadyTime now);

// The back-off delay after `failures` consecutive failures (1 = first).
Millis backoffDelay(const ProcessSpec& policy, unsigned failures);

}  // namespace forever
