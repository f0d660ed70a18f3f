#include "core/restart_policy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace forever {

namespace {
// systemd's default RestartSec: the smallest step once we back off, so a
// restartDelay of 0 (forever's immediate restart) still backs off.
constexpr Millis kMinBackoffStep{100};
constexpr size_t kMaxRememberedCrashes = 1000;
}  // namespace

Millis backoffDelay(const ProcessSpec& policy, unsigned failures) {
    if (failures <= 1) {
        return policy.restartDelay;
    }
    Millis step = std::max(policy.restartDelay, kMinBackoffStep);
    Millis cap = std::max(policy.restartDelayMax, policy.restartDelay);
    // Shift stops well before overflow: 2^20 steps exceed any sane cap.
    unsigned shift = std::min(failures - 1, 20u);
    Millis delay = step * (int64_t{1} << shift) / 2;
    return std::min(delay, cap);
}

RestartDecision decideRestart(const ProcessSpec& policy, RestartHistory& history,
                              const ExitStatus& status, Millis uptime, SteadyTime now) {
    RestartDecision d;
    bool failed = !status.isClean();

    if (uptime >= policy.backoffResetAfter) {
        history.consecutiveFailures = 0;
        history.crashLooping = false;
    }
    while (!history.crashes.empty() && now - history.crashes.front() >= policy.crashLoopInterval) {
        history.crashes.pop_front();
    }
    if (failed) {
        history.consecutiveFailures++;
        history.crashes.push_back(now);
        // A process crashing as fast as it can (restartDelay 0) must not
        // grow the window without bound: the count saturates instead.
        if (history.crashes.size() >
            std::max<size_t>(policy.crashLoopBurst, kMaxRememberedCrashes)) {
            history.crashes.pop_front();
        }
    }
    d.recentCrashes = static_cast<unsigned>(history.crashes.size());
    if (history.crashes.size() < policy.crashLoopBurst) {
        history.crashLooping = false;
    } else if (!history.crashLooping) {
        history.crashLooping = true;
        d.crashLoopStarted = true;
    }

    if (policy.restart == RestartMode::No) {
        d.reason = fmt::format("{} and restart is 'no'", status.describe());
        return d;
    }
    if (policy.restart == RestartMode::OnFailure && !failed) {
        d.reason =
            fmt::format("exited cleanly ({}) and restart is 'on-failure'", status.describe());
        return d;
    }
    if (policy.max >= 0 && history.restarts >= static_cast<unsigned>(policy.max)) {
        d.reason = fmt::format("reached the maximum of {} restarts", policy.max);
        return d;
    }
    d.spinning = uptime < policy.minUptime;
    if (d.spinning && !policy.spinSleepTime) {
        d.reason = fmt::format(
            "spinning: it ran {} ms, less than minUptime {} ms (set --spinSleepTime to keep "
            "restarting)",
            uptime.count(), policy.minUptime.count());
        return d;
    }

    d.restart = true;
    d.delay = failed ? backoffDelay(policy, history.consecutiveFailures) : policy.restartDelay;
    if (d.spinning) {
        d.delay = std::max(d.delay, *policy.spinSleepTime);
    }
    history.restarts++;
    return d;
}

}  // namespace forever
