#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/app_health.hpp"
#include "core/event_loop.hpp"
#include "core/kill_plan.hpp"
#include "core/launcher.hpp"
#include "core/log_files.hpp"
#include "core/notify_socket.hpp"
#include "core/pid_file.hpp"
#include "core/process.hpp"
#include "core/process_control.hpp"
#include "core/process_table.hpp"
#include "core/supervisor_error.hpp"

namespace forever {

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

// The coordinator: owns the process table and each process's lifecycle
// (start, stop, restart, reload, halt), and carries out the restart policy
// when a run ends (run_exit.cpp). The rooms it coordinates each own one
// concept: ProcessTable (finding processes), Launcher (starting a run),
// KillPlan (bringing one down), AppHealth (judging a live one), LogFiles.
// See docs/ARCHITECTURE.md.
class Supervisor {
  public:
    using Listener = std::function<void(const SupervisorEvent&)>;
    using Done = std::function<void()>;
    // Called with "" on success, or with why it failed.
    using Outcome = std::function<void(const std::string& failure)>;
    // One spec of a startMany: the uid it was started as, or why it was not
    // (error set).
    struct StartResult {
        std::string uid;
        std::string error;
    };
    using StartedMany = std::function<void(std::vector<StartResult>)>;

    // Supervises real processes.
    Supervisor(EventLoop& loop, SupervisorOptions options, Listener listener);
    // Supervises through `control` (a fake in unit tests).
    Supervisor(EventLoop& loop, ProcessControl& control, SupervisorOptions options,
               Listener listener);
    ~Supervisor();

    // Validates and starts a new process (uid generated when empty).
    Process& start(ProcessSpec spec);
    // start() in two steps, so a batch is validated whole before any spawn:
    // prepare() fills in the defaults (uid, command) and throws what start()
    // would for an invalid spec or a taken uid; startPrepared() spawns.
    void prepare(ProcessSpec& spec) const;
    Process& startPrepared(ProcessSpec spec);
    // startPrepared() for a validated batch, kSpawnSlice spawns at a time
    // on a worker thread (bulk_start.cpp); `done` gets one result per spec,
    // in order. A spec whose uid was taken meanwhile, whose spawn failed, or
    // whose turn came after a halt() or cancelPendingStarts() is not started.
    void startMany(std::vector<ProcessSpec> specs, StartedMany done);
    // A slice of a bulk start is being spawned, or entering the table: its
    // children are ours but not yet in the table, so a sweep of every child
    // (reapChildren) would take their exits for orphans'. The daemon's
    // sweep waits while this is true.
    bool spawningOffLoop() const { return spawning_ != nullptr || registering_ != nullptr; }
    // Whether `uid` waits in a bulk start (queued, or being spawned).
    bool startQueued(const std::string& uid) const { return queuedUids_.count(uid) != 0; }
    // The specs of every startMany not spawned yet (those `which` accepts;
    // all without it) are dropped, `why` their error: a stopall must not be
    // followed by the rest of a bulk start. Each startMany that ends so gets
    // its answer; one answer that throws does not keep the others from
    // theirs (the first exception is rethrown after).
    void cancelPendingStarts(const std::string& why,
                             const std::function<bool(const ProcessSpec&)>& which = {});
    static constexpr size_t kSpawnSlice = 32;
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
    // foreverd is going away: stop every run, keep the table, then `done`
    // (after the slice of a bulk start being spawned, which is stopped too).
    void halt(Done done);

    // Reaps every exited child; call on SIGCHLD (it walks every child: the
    // daemon does it for orphans, a little after the signal).
    void reapChildren();
    // Reaps a run through its pidfd, which turned readable: the cost of a
    // restart does not grow with the number of apps.
    void reapRun(int pidfd);
    void onReaped(const ProcessControl::Reaped& reaped);
    // The app an sd_notify message's sender speaks for: a run's pid, a
    // member of its process group, or a descendant that left the group (as
    // systemd's NotifyAccess=all); nullptr for a stranger.
    Process* processOfSender(pid_t sender);
    // A sample of p's memory (its tree's RSS): over maxMemory, `warn` is
    // told why and p is restarted.
    void memorySampled(Process& p, uint64_t rssBytes,
                       const std::function<void(const std::string& why)>& warn);

    // The persisted form of a process, what the state journal keeps: its
    // spec, not only its pids (plus the pids, so a restarted daemon can stop
    // leftovers of its previous life).
    std::string renderedRecord(const Process& process) const;
    // Starting again what the records describe, in two steps: killLeftovers
    // (the runs a kill -9'd predecessor left) for every record first, then
    // restoreRecord each (the message when it could not be restored: never
    // silently dropped).
    void killLeftovers(const nlohmann::json& record);
    // Then stops every other process carrying our lineage mark (children
    // spawned but not yet recorded when the predecessor died); how many.
    size_t sweepUnrecorded();
    std::optional<std::string> restoreRecord(const nlohmann::json& record);

    const std::vector<std::unique_ptr<Process>>& processes() const;
    // processes().size(), without closing the table's holes (ProcessTable).
    size_t processCount() const { return table_.size(); }
    std::vector<Process*> resolve(const std::string& target, const std::string& cwd = {}) const;
    Process* findByUid(const std::string& uid) const;
    // An unused uid, as start() gives a spec without one.
    std::string generateUid() const;
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
    using Kind = SupervisorEvent::Kind;

    // p.run was just set: state, watchdog, health checks, pid file.
    void becomeCurrent(Process& p);
    // Stops a run that is no longer current (KillPlan::retire) and keeps
    // reading what it still writes.
    void retire(const Process& p, Run run);
    void spawnRun(Process& p);
    // run_exit.cpp: a run ended; what the policy (or a pending stop or
    // restart) makes of it.
    void onExit(Process& p, ExitStatus status);
    void afterExit(Process& p, ExitStatus status, std::chrono::milliseconds uptime);
    // A new run of an existing process; a spawn failure marks it failed
    // (GaveUp) instead of throwing.
    void relaunch(Process& p);
    void remove(Process& p);
    void finish(Process& p);
    // reload.cpp
    void onIncomingNotify(Process& p, const NotifyFields& fields);
    void probeIncoming(Process& p);
    void takeOver(Process& p, const std::string& why);
    void abandonReload(Process& p, const std::string& why);
    void finishReload(Process& p, const std::string& failure);
    void emit(Kind kind, Process& p, std::string reason = {});
    AppHealth::Reports healthReports();
    // bulk_start.cpp
    struct BulkStart {
        std::vector<ProcessSpec> specs;
        std::vector<std::optional<StartResult>> results;  // set once decided
        size_t next = 0;                                  // the first spec not handed on yet
        size_t spawning = 0;                              // handed to a SpawnSlice, not decided yet
        StartedMany done;
    };
    // Up to kSpawnSlice specs of the bulk starts, spawned together on a
    // worker thread while the loop goes on (bulk_start.cpp).
    struct SpawnSlice;
    void spawnSlice();
    void sliceSpawned(const std::shared_ptr<SpawnSlice>& slice);
    // The listen socket for a spec of a slice: an instance's sibling may be
    // in a slice, not yet in the table.
    UniqueFd sliceListenSocket(const ProcessSpec& spec, const SpawnSlice& building);
    // Throws AlreadyExists for a uid in the table or queued in a bulk start.
    void requireUidFree(const std::string& uid) const;
    // Answers the bulk starts that are decided whole, in order.
    void answerDecided();
    // A halt waits for the slice being spawned: nothing it starts may
    // outlive foreverd.
    void completeHaltIfIdle();
    EventLoop& loop_;
    ProcessControl& control_;
    SupervisorOptions options_;
    Listener listener_;
    ProcessTable table_;
    KillPlan killPlan_;
    LogFiles logFiles_;
    Launcher launcher_;
    AppHealth health_;
    Done haltDone_;
    PidFiles pidFiles_{loop_};          // written off the loop
    std::deque<BulkStart> bulkStarts_;  // oldest first, each its specs in order
    // The uids queued in bulkStarts_: taken as much as those in the table
    // (prepare() refuses them, generated ones avoid them).
    std::unordered_set<std::string> queuedUids_;
    EventLoop::HandlePtr nextSlice_;
    std::shared_ptr<SpawnSlice> spawning_;     // on a worker now
    std::shared_ptr<SpawnSlice> registering_;  // spawned, entering the table
    EventLoop::HandlePtr spawningDone_;
    bool halting_ = false;
};

}  // namespace forever
