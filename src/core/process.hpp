#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/exit_status.hpp"
#include "core/process_spec.hpp"
#include "core/restart_policy.hpp"
#include "core/unique_fd.hpp"

namespace forever {

class OutputCapture;
class FileWatcher;
class NotifySocket;
class HttpProbe;

// The lifecycle of a supervised process, as `list` shows it.
enum class ProcState {
    Starting,      // alive, waiting for READY=1 (waitReady)
    Running,       // alive
    Stopping,      // asked to stop; waiting for it to die (then removed)
    Restarting,    // asked to restart; waiting for the old one to die
    Reloading,     // a new run is starting beside the old one (reload)
    Waiting,       // died; a restart is scheduled after the policy's delay
    CrashLooping,  // like Waiting, with too many recent failures
    Exited,        // ended cleanly and the policy does not restart it
    Failed,        // ended and the policy gave up on it
    Stopped,       // stopped because foreverd itself is stopping
};
std::string toString(ProcState state);

// One life of the app, from its spawn to its exit. A process has its current
// run and, during a reload, the incoming run that is to replace it: both are
// alive at once, which is what makes the swap free of downtime.
struct Run {
    pid_t pid = 0;
    UniqueFd pidfd;
    EventLoop::HandlePtr pidfdWatch;
    std::chrono::steady_clock::time_point startedSteady{};
    int64_t startedAtUs = 0;  // CLOCK_REALTIME, for display
    // /proc start time of `pid`, read once at spawn: with the pid, what the
    // saved state identifies the run by (a recycled pid has another).
    uint64_t pidStartTime = 0;
    std::unique_ptr<OutputCapture> capture;
    bool ready = false;      // READY=1 received from this run
    std::string statusText;  // its last STATUS=

    Run();
    Run(Run&&) noexcept;
    Run& operator=(Run&&) noexcept;
    ~Run();
};

// One supervised process: its spec, what the policy remembers, and the
// current run. Owned by the Supervisor; the daemon reads it.
struct Process {
    ProcessSpec spec;
    uint64_t tableSeq = 0;  // the ProcessTable's order: its entries are sorted by it
    pid_t indexedPid = 0;   // its key in the ProcessTable's pid index
    ProcState state = ProcState::Waiting;
    std::string reason;  // why it is not running, for Failed/Exited

    Run run;
    UniqueFd listenSocket;                 // spec.listen, bound once for every run
    pid_t lastPid = 0;                     // the pid of the last run that ended, for exit reports
    std::unique_ptr<FileWatcher> watcher;  // watch mode
    EventLoop::HandlePtr watchdogTimer;
    // HTTP health checks of the current run.
    EventLoop::HandlePtr healthTimer;
    std::unique_ptr<HttpProbe> healthProbe;
    unsigned healthFailuresInRow = 0;

    // A reload in progress: the new run, what gates its promotion, and the
    // callers waiting for the outcome ("" when it took over, else why not).
    std::unique_ptr<Run> incoming;
    EventLoop::HandlePtr reloadTimer;  // the readiness delay, then the timeout
    EventLoop::HandlePtr reloadGate;   // minUptime delay before a health check
    std::unique_ptr<HttpProbe> reloadProbe;
    std::vector<std::function<void(const std::string& failure)>> reloadWaiters;

    // The last exit.
    bool hasExited = false;
    ExitStatus lastExit;

    RestartHistory history;
    unsigned restarts = 0;  // automatic and manual, as PM2 and forever count them
    unsigned recentCrashes = 0;

    // What to do once the current run is gone, when a user asked for it.
    enum class Pending { None, Remove, Restart, Halt } pending = Pending::None;
    std::vector<std::function<void()>> waiters;  // replies owed when pending completes
    EventLoop::HandlePtr timer;                  // restart delay or kill timeout

    Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    bool alive() const { return run.pid > 0; }
};

}  // namespace forever
