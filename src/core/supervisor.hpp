#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/notify_socket.hpp"
#include "core/pid_file.hpp"
#include "core/process.hpp"

namespace forever {

class LogSink;
class OutputCapture;
struct SpawnRequest;
struct SpawnedProcess;

// Lifecycle events the daemon turns into D-Bus signals, journal entries and
// persisted state.
struct SupervisorEvent {
    enum class Kind {
        Added,         // a new process entered the table
        Removed,       // about to leave the table (after an explicit stop)
        Started,       // a run began (first start or after a restart)
        Exited,        // a run ended (status set)
        CrashLoop,     // crossed the crash-loop limit
        GaveUp,        // the policy stopped restarting it (reason set)
        Changed,       // a displayed field changed (state, pid, counts; not the index)
        LogError,      // writing a log file failed (reason set)
        FileChanged,   // watch mode saw a change and restarts it (reason: the file)
        Ready,         // the app sent READY=1
        Watchdog,      // no WATCHDOG=1 within watchdogSec: it is being killed
        Unhealthy,     // healthFailures failed health checks: being restarted
        Reloaded,      // a reload's new run took over (reason: which pids, why)
        ReloadFailed,  // a reload's new run was stopped; the old one stays (reason)
    };
    Kind kind;
    Process* process = nullptr;
    ExitStatus status;
    std::string reason;
};

// Errors a caller can act on, typed so the D-Bus layer names them.
class SupervisorError : public std::runtime_error {
  public:
    enum class Code { NotFound, InvalidArgument, AlreadyExists, SpawnFailed, Busy };
    SupervisorError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
    Code code() const { return code_; }

  private:
    Code code_;
};

struct SupervisorOptions {
    // Where output goes when no log file is given and journald is absent.
    std::filesystem::path defaultLogDir;
    // Whether children's output goes to journald by default.
    bool journal = true;
};

// Owns the process table and carries out the restart policy: spawns,
// watches pidfds, reaps every child (it is a subreaper), stops with
// killSignal then SIGKILL, and restarts what dies unasked.
class Supervisor {
  public:
    using Listener = std::function<void(const SupervisorEvent&)>;
    using Done = std::function<void()>;
    // Called with "" on success, or with why it failed.
    using Outcome = std::function<void(const std::string& failure)>;

    Supervisor(EventLoop& loop, SupervisorOptions options, Listener listener);
    ~Supervisor();

    // Validates and starts a new process (uid generated when empty).
    Process& start(ProcessSpec spec);
    // Stops and removes; `done` runs once it is gone.
    void stop(Process& process, Done done);
    // Stops (if running) and starts it again; `done` runs once the new run
    // has been spawned (or failed to).
    void restart(Process& process, Done done);
    // Zero-downtime replacement (reload.cpp): a new run starts beside the
    // old one, which is stopped only once the new one is ready. `done` gets
    // the outcome; a spawn failure throws. Not running: a plain restart.
    void reload(Process& process, Outcome done);
    // Sends a signal to the running process (its group with killTree).
    void kill(Process& process, int signal);
    // foreverd is going away: stop every run, keep the table, then `done`.
    void halt(Done done);

    // Reaps every exited child; call on SIGCHLD.
    void reapChildren();

    // The persisted form of the table, as a JSON array: specs, not pids
    // (plus the pids, so a restarted daemon can stop leftovers of its
    // previous life).
    std::string renderedSnapshot() const;
    // Starts again what a rendered snapshot describes; returns messages about
    // entries that could not be restored (never silently dropped).
    std::vector<std::string> restore(const nlohmann::json& processes);

    const std::vector<std::unique_ptr<Process>>& processes() const { return table_; }
    std::vector<Process*> resolve(const std::string& target, const std::string& cwd = {}) const;
    Process* findByUid(const std::string& uid) const;
    Process* findByPid(pid_t pid) const;
    size_t indexOf(const Process& process) const;
    size_t runningCount() const;

    // The files a process's output is written to (its -l/-o/-e files, or
    // the per-uid default file when there is no journald); empty when its
    // output goes to the journal.
    std::vector<std::string> logPathsOf(const Process& process) const;
    // `foreverctl cleanlogs`: see log_cleanup.hpp. Returns what was deleted.
    std::vector<std::string> cleanLogs();
    // Deletes rotated files older than each file's maxAge; run periodically.
    void pruneLogs();

  private:
    // A new run of `p` (spawned, output captured) that is not yet its
    // current one; throws SupervisorError(SpawnFailed).
    Run launch(Process& p);
    // p.run was just set: state, watchdog, health checks, pid file.
    void becomeCurrent(Process& p);
    // Stops a run that is no longer current (killSignal, SIGKILL after
    // killTimeout) and keeps reading what it still writes.
    void retire(const Process& p, Run run);
    void drainOutput(Run& run);
    void spawnRun(Process& p);
    // A new run of an existing process; a spawn failure marks it failed
    // (GaveUp) instead of throwing.
    void relaunch(Process& p);
    void onExit(Process& p, ExitStatus status);
    void afterExit(Process& p, ExitStatus status, std::chrono::milliseconds uptime);
    void signalRun(Process& p, int signal);
    void beginStop(Process& p);
    void remove(Process& p);
    void finish(Process& p);
    void sweepGroup(pid_t pgid, int signal, Millis timeout);
    // With killTree: processes the app left behind outside its group and
    // tree (found by the FOREVER_UID in their environment) get killSignal,
    // then SIGKILL after killTimeout.
    void stopStrays(const Process& p);
    void startWatching(Process& p);
    void onNotify(Process& p, pid_t sender, const NotifyFields& fields);
    // reload.cpp
    void onIncomingNotify(Process& p, const NotifyFields& fields);
    void probeIncoming(Process& p);
    void takeOver(Process& p, const std::string& why);
    void abandonReload(Process& p, const std::string& why);
    void finishReload(Process& p, const std::string& failure);
    Process* findByIncomingPid(pid_t pid) const;
    void armWatchdog(Process& p);
    void scheduleHealthCheck(Process& p);
    void runAlert(Process& p);
    void emit(SupervisorEvent::Kind kind, Process& p, std::string reason = {});
    std::string generateUid();
    UniqueFd listenSocketFor(const ProcessSpec& spec);
    std::shared_ptr<LogSink> logFileFor(const std::string& path, const Process& p);
    void chooseOutput(const Process& p, SpawnRequest& request) const;
    std::unique_ptr<OutputCapture> captureOutput(Process& p, SpawnedProcess& spawned);

    EventLoop& loop_;
    SupervisorOptions options_;
    Listener listener_;
    std::vector<std::unique_ptr<Process>> table_;
    // specToJson(spec).dump() of each process; dropped in remove().
    mutable std::map<const Process*, std::string> specJsonCache_;
    std::map<std::string, std::weak_ptr<LogSink>> logFiles_;  // one writer per path
    std::vector<EventLoop::HandlePtr> sweepers_;
    std::vector<std::unique_ptr<OutputCapture>> draining_;  // pipes still held by orphans
    Done haltDone_;
    std::vector<std::string> retiredLogFiles_;  // files of removed processes, for cleanlogs
    EventLoop::HandlePtr pruneTimer_;
    unsigned notifyCounter_ = 0;
    PidFiles pidFiles_{loop_};  // written off the loop
};

}  // namespace forever
