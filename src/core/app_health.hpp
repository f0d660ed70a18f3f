#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/event_loop.hpp"
#include "core/kill_plan.hpp"
#include "core/notify_socket.hpp"
#include "core/process.hpp"

namespace forever {

// The watchers of a live run, each of which can find it wanting: the
// sd_notify protocol (READY=1, STATUS=, WATCHDOG=1 and its timeout), HTTP
// health checks, watch mode's file changes, and maxMemory. They only
// judge and report; the Supervisor decides what happens (kill, restart).
class AppHealth {
  public:
    struct Reports {
        // READY=1 from the current run (state already Running).
        std::function<void(Process& p)> ready;
        // A displayed field changed (STATUS=, readiness).
        std::function<void(Process& p)> changed;
        // A message from the incoming run of a reload (reload.cpp's).
        std::function<void(Process& p, const NotifyFields& fields)> incoming;
        // No WATCHDOG=1 in time, or WATCHDOG=trigger: the run is hung.
        std::function<void(Process& p, const std::string& why)> hung;
        // healthFailures failed health checks in a row.
        std::function<void(Process& p, const std::string& why)> unhealthy;
        // Watch mode saw `file` change.
        std::function<void(Process& p, const std::string& file)> fileChanged;
    };

    AppHealth(EventLoop& loop, KillPlan& killPlan, Reports reports)
        : loop_(loop), killPlan_(killPlan), reports_(std::move(reports)) {}

    // p.run just became current: its watchdog and health checks start
    // afresh.
    void runBegan(Process& p);
    // p's run ended: its watchdog and health checks stop.
    void runEnded(Process& p);
    // A message on p's notify socket from `sender`.
    void onNotify(Process& p, pid_t sender, const NotifyFields& fields);
    // Watch mode for p (spec.watch); throws SupervisorError(InvalidArgument)
    // when the directory cannot be watched.
    void startWatching(Process& p);
    // The maxMemory rule: why p must be restarted at `rssBytes` (its whole
    // tree's RSS), or nullopt.
    static std::optional<std::string> overMemory(const Process& p, uint64_t rssBytes);

  private:
    void armWatchdog(Process& p);
    void scheduleHealthCheck(Process& p);

    EventLoop& loop_;
    KillPlan& killPlan_;
    Reports reports_;
};

}  // namespace forever
