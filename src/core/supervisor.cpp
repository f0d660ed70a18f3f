#include "core/supervisor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/pidfd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "core/file_watcher.hpp"
#include "core/http_probe.hpp"
#include "core/listen_socket.hpp"
#include "core/log_cleanup.hpp"
#include "core/log_file.hpp"
#include "core/output_capture.hpp"
#include "core/proc_tree.hpp"
#include "core/spawner.hpp"
#include "core/target.hpp"

namespace forever {

using nlohmann::json;

std::string toString(ProcState state) {
    switch (state) {
        case ProcState::Starting:
            return "starting";
        case ProcState::Running:
            return "running";
        case ProcState::Stopping:
            return "stopping";
        case ProcState::Restarting:
            return "restarting";
        case ProcState::Reloading:
            return "reloading";
        case ProcState::Waiting:
            return "waiting";
        case ProcState::CrashLooping:
            return "crash-looping";
        case ProcState::Exited:
            return "exited";
        case ProcState::Failed:
            return "failed";
        case ProcState::Stopped:
            return "stopped";
    }
    return "unknown";
}

Run::Run() = default;
Run::Run(Run&&) noexcept = default;
Run& Run::operator=(Run&&) noexcept = default;
Run::~Run() = default;
Process::~Process() = default;

namespace {

int64_t realtimeMicros() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

int sendSignal(const Run& run, int signal) {
    if (run.pidfd) {
        return ::pidfd_send_signal(run.pidfd.get(), signal, nullptr, 0);
    }
    return ::kill(run.pid, signal);
}

// The process group and, with killTree, every descendant: collected before
// anything is signalled, since once the main process dies its children are
// reparented to us and the tree can no longer be read from /proc.
std::vector<pid_t> treeOf(const Run& run) {
    return descendants(run.pid);
}

bool groupExists(pid_t pgid) {
    return ::kill(-pgid, 0) == 0 || errno == EPERM;
}

}  // namespace

Supervisor::Supervisor(EventLoop& loop, SupervisorOptions options, Listener listener)
    : loop_(loop), options_(std::move(options)), listener_(std::move(listener)) {
    pruneTimer_ = loop_.addTimer(std::chrono::hours(1), [this] { pruneLogs(); });
}

Supervisor::~Supervisor() = default;

void Supervisor::emit(SupervisorEvent::Kind kind, Process& p, std::string reason) {
    if (listener_) {
        SupervisorEvent event{kind, &p, p.lastExit, std::move(reason)};
        listener_(event);
    }
}

std::string Supervisor::generateUid() {
    // forever's uids are 4 random characters; keep the look, avoid clashes.
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    static std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<size_t> pick(0, sizeof alphabet - 2);
    for (;;) {
        std::string uid;
        for (int i = 0; i < 4; ++i) {
            uid += alphabet[pick(rng)];
        }
        if (!findByUid(uid) && !std::all_of(uid.begin(), uid.end(), ::isdigit)) {
            return uid;
        }
    }
}

Process* Supervisor::findByUid(const std::string& uid) const {
    for (const auto& p : table_) {
        if (p->spec.uid == uid) {
            return p.get();
        }
    }
    return nullptr;
}

Process* Supervisor::findByPid(pid_t pid) const {
    if (pid <= 0) {
        return nullptr;
    }
    for (const auto& p : table_) {
        if (p->run.pid == pid) {
            return p.get();
        }
    }
    return nullptr;
}

size_t Supervisor::indexOf(const Process& process) const {
    for (size_t i = 0; i < table_.size(); ++i) {
        if (table_[i].get() == &process) {
            return i;
        }
    }
    return table_.size();
}

size_t Supervisor::runningCount() const {
    return static_cast<size_t>(
        std::count_if(table_.begin(), table_.end(), [](const auto& p) { return p->alive(); }));
}

std::vector<Process*> Supervisor::resolve(const std::string& target, const std::string& cwd) const {
    std::vector<TargetCandidate> candidates;
    candidates.reserve(table_.size());
    for (const auto& p : table_) {
        candidates.push_back({p->spec.uid, p->spec.script});
    }
    std::vector<Process*> out;
    for (size_t i : resolveTarget(target, candidates, cwd)) {
        out.push_back(table_[i].get());
    }
    return out;
}

Process& Supervisor::start(ProcessSpec spec) {
    if (spec.uid.empty()) {
        spec.uid = generateUid();
    }
    if (spec.command.empty() && !spec.script.empty()) {
        spec.command = defaultCommandFor(spec.script);
    }
    try {
        validateSpec(spec);
    } catch (const SpecError& e) {
        throw SupervisorError(SupervisorError::Code::InvalidArgument, e.what());
    }
    if (findByUid(spec.uid)) {
        throw SupervisorError(SupervisorError::Code::AlreadyExists,
                              fmt::format("a process with uid '{}' already exists", spec.uid));
    }
    auto owned = std::make_unique<Process>();
    Process& p = *owned;
    p.spec = std::move(spec);
    if (!p.spec.listen.empty()) {
        p.listenSocket = listenSocketFor(p.spec);
    }
    if (p.spec.watch) {
        startWatching(p);
    }
    spawnRun(p);  // throws before the process enters the table
    table_.push_back(std::move(owned));
    emit(SupervisorEvent::Kind::Added, p);
    emit(SupervisorEvent::Kind::Started, p);
    return p;
}

UniqueFd Supervisor::listenSocketFor(const ProcessSpec& spec) {
    const std::string& address = spec.listen;
    // Instances of one app listen on one address: they share the socket
    // (and the kernel spreads the connections), as node's cluster does.
    // Another program gets EADDRINUSE, as it would from bind.
    for (const auto& other : table_) {
        if (other->spec.listen == address && other->spec.script == spec.script &&
            other->listenSocket) {
            UniqueFd shared(::fcntl(other->listenSocket.get(), F_DUPFD_CLOEXEC, 3));
            if (shared) {
                return shared;
            }
        }
    }
    std::string error;
    auto parsed = parseListenAddress(address, error);
    if (!parsed) {
        throw SupervisorError(SupervisorError::Code::InvalidArgument, error);
    }
    try {
        return openListenSocket(*parsed);
    } catch (const std::system_error& e) {
        throw SupervisorError(SupervisorError::Code::SpawnFailed, e.what());
    }
}

std::shared_ptr<LogSink> Supervisor::logFileFor(const std::string& path, const Process& p) {
    if (auto existing = logFiles_[path].lock()) {
        return existing;
    }
    RotationPolicy rotation;
    rotation.maxBytes = p.spec.logMaxBytes;
    rotation.keep = p.spec.logKeep;
    rotation.maxAge = p.spec.logMaxAge;
    // Truncation happens once, when the process is added, never on restarts:
    // a crash's last words must survive the restart that follows it.
    bool append = p.spec.append || p.hasExited || p.restarts > 0;
    // Opened off the loop; a failure reaches the journal as a LogError.
    auto file = std::make_shared<LogSink>(loop_, path, append, rotation);
    logFiles_[path] = file;
    return file;
}

void Supervisor::chooseOutput(const Process& p, SpawnRequest& request) const {
    const ProcessSpec& s = p.spec;
    bool files = !s.outFile.empty() || !s.errFile.empty() || !s.logFile.empty();
    if (files || !options_.journal) {
        request.stdoutTo = OutputTarget::Pipe;
        request.stderrTo = OutputTarget::Pipe;
    } else if (s.silent) {
        request.stdoutTo = OutputTarget::Null;
        request.stderrTo = OutputTarget::Null;
    } else {
        request.stdoutTo = OutputTarget::Journal;
        request.stderrTo = OutputTarget::Journal;
    }
}

std::unique_ptr<OutputCapture> Supervisor::captureOutput(Process& p, SpawnedProcess& spawned) {
    if (!spawned.stdoutPipe) {
        return nullptr;  // journal or silent: the child writes there itself
    }
    const ProcessSpec& s = p.spec;
    OutputCapture::Sinks sinks;
    sinks.timestamp = s.timestamp;
    if (!s.outFile.empty() || !s.errFile.empty() || !s.logFile.empty()) {
        if (!s.outFile.empty()) {
            sinks.out = logFileFor(s.outFile, p);
        }
        if (!s.errFile.empty()) {
            sinks.err = logFileFor(s.errFile, p);
        }
        if (!s.logFile.empty()) {
            sinks.combined = logFileFor(s.logFile, p);
        }
    } else if (!s.silent) {
        // No journald on this machine: forever's default, a file per uid.
        sinks.combined = logFileFor((options_.defaultLogDir / (s.uid + ".log")).string(), p);
    }
    Process* raw = &p;
    return std::make_unique<OutputCapture>(loop_, std::move(spawned.stdoutPipe),
                                           std::move(spawned.stderrPipe), std::move(sinks),
                                           [this, raw](const std::string& message) {
                                               emit(SupervisorEvent::Kind::LogError, *raw, message);
                                           });
}

Run Supervisor::launch(Process& p) {
    SpawnRequest request;
    request.spec = &p.spec;
    request.extraEnv["FOREVER_UID"] = p.spec.uid;
    if (!p.notify) {
        Process* raw = &p;
        try {
            p.notify = std::make_unique<NotifySocket>(
                loop_, fmt::format("forever/{}/{}", ::getpid(), ++notifyCounter_),
                [this, raw](pid_t sender, const NotifyFields& f) { onNotify(*raw, sender, f); });
        } catch (const std::system_error& e) {
            emit(SupervisorEvent::Kind::LogError, p, fmt::format("no NOTIFY_SOCKET: {}", e.what()));
        }
    }
    if (p.notify) {
        request.extraEnv["NOTIFY_SOCKET"] = p.notify->address();
    }
    if (p.spec.watchdogSec > 0) {
        request.extraEnv["WATCHDOG_USEC"] = std::to_string(uint64_t{p.spec.watchdogSec} * 1000000);
    }
    chooseOutput(p, request);
    request.listenFd = p.listenSocket ? p.listenSocket.get() : -1;
    SpawnedProcess spawned;
    try {
        spawned = spawnProcess(request);
    } catch (const SpawnError& e) {
        throw SupervisorError(SupervisorError::Code::SpawnFailed, e.what());
    }
    Run run;
    run.pid = spawned.pid;
    run.pidfd = std::move(spawned.pidfd);
    run.startedSteady = loop_.now();
    run.startedAtUs = realtimeMicros();
    auto st = readStat(run.pid);
    run.pidStartTime = st ? st->startTimeTicks : 0;
    try {
        run.capture = captureOutput(p, spawned);
    } catch (const SupervisorError& e) {
        // The run exists; its output has nowhere to go. Say so, keep it.
        emit(SupervisorEvent::Kind::LogError, p, e.what());
    }
    // The pidfd turns readable when the process exits; reaping itself is
    // done for every child at once in reapChildren().
    run.pidfdWatch = loop_.addReadable(run.pidfd.get(), [this] { reapChildren(); });
    return run;
}

void Supervisor::drainOutput(Run& run) {
    if (run.capture && !run.capture->finished()) {
        // A grandchild may still hold the old pipes: keep reading them.
        draining_.push_back(std::move(run.capture));
    }
    run.capture.reset();
    std::erase_if(draining_, [](const auto& c) { return c->finished(); });
}

void Supervisor::spawnRun(Process& p) {
    drainOutput(p.run);
    p.run = launch(p);
    becomeCurrent(p);
}

void Supervisor::becomeCurrent(Process& p) {
    p.state = p.spec.waitReady && !p.run.ready ? ProcState::Starting : ProcState::Running;
    p.reason.clear();
    p.pending = Process::Pending::None;
    p.timer.reset();
    armWatchdog(p);
    p.healthFailuresInRow = 0;
    p.healthProbe.reset();
    scheduleHealthCheck(p);
    if (!p.spec.pidFile.empty()) {
        pidFiles_.write(p.spec.pidFile, p.run.pid);
    }
}

void Supervisor::reapChildren() {
    for (;;) {
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0) {
            return;  // ECHILD or nothing more to reap
        }
        ExitStatus status = info.si_code == CLD_EXITED ? ExitStatus::exited(info.si_status)
                                                       : ExitStatus::killed(info.si_status);
        if (Process* p = findByIncomingPid(info.si_pid)) {
            // The new run of a reload died before it took over: the old one
            // keeps serving, and the reload fails with the reason.
            sweepGroup(info.si_pid, p->spec.killSignal, p->spec.killTimeout);
            p->incoming->pid = 0;
            abandonReload(*p, fmt::format("the new run exited with {} before it was ready",
                                          status.describe()));
        } else if (Process* p = findByPid(info.si_pid)) {
            onExit(*p, status);
        }
        // Anything else is an orphan that was reparented to us (we are a
        // subreaper): reaping it is all it needs, no zombie stays behind.
    }
}

void Supervisor::sweepGroup(pid_t pgid, int signal, Millis timeout) {
    if (!groupExists(pgid)) {
        return;
    }
    ::kill(-pgid, signal);
    auto* slot = &sweepers_.emplace_back();
    *slot = loop_.addTimer(timeout, [pgid] { ::kill(-pgid, SIGKILL); });
    // Drop fired or useless sweepers now and then; the list stays tiny.
    if (sweepers_.size() > 64) {
        sweepers_.erase(sweepers_.begin(), sweepers_.begin() + 32);
    }
}

void Supervisor::onExit(Process& p, ExitStatus status) {
    auto uptime = std::chrono::duration_cast<Millis>(loop_.now() - p.run.startedSteady);
    pid_t pgid = p.run.pid;
    p.lastPid = pgid;
    p.run.pid = 0;
    p.run.pidfdWatch.reset();
    p.run.pidfd.reset();
    p.timer.reset();
    p.watchdogTimer.reset();
    p.healthTimer.reset();
    p.healthProbe.reset();
    p.run.ready = false;
    p.hasExited = true;
    p.lastExit = status;
    if (!p.spec.pidFile.empty()) {
        pidFiles_.remove(p.spec.pidFile);
    }
    // What the app left in its process group (workers, a shell's children)
    // goes with it: leftovers holding its port would break the restart.
    sweepGroup(pgid, p.spec.killSignal, p.spec.killTimeout);
    stopStrays(p);
    emit(SupervisorEvent::Kind::Exited, p);
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
            emit(SupervisorEvent::Kind::Changed, p);
            if (haltDone_ && runningCount() == 0) {
                auto done = std::move(haltDone_);
                haltDone_ = nullptr;
                done();
            }
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
        emit(SupervisorEvent::Kind::CrashLoop, p,
             fmt::format("{} failures within {} s", d.recentCrashes,
                         p.spec.crashLoopInterval.count() / 1000));
        runAlert(p);
    }
    if (!d.restart) {
        p.state = status.isClean() ? ProcState::Exited : ProcState::Failed;
        p.reason = d.reason;
        emit(SupervisorEvent::Kind::GaveUp, p, d.reason);
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
    emit(SupervisorEvent::Kind::Changed, p);
}

void Supervisor::relaunch(Process& p) {
    try {
        spawnRun(p);
        emit(SupervisorEvent::Kind::Started, p);
    } catch (const SupervisorError& e) {
        p.state = ProcState::Failed;
        p.reason = e.what();
        emit(SupervisorEvent::Kind::GaveUp, p, p.reason);
    }
}

void Supervisor::runAlert(Process& p) {
    if (p.spec.alertCommand.empty()) {
        return;
    }
    ProcessSpec alert;
    alert.uid = p.spec.uid + "-alert";
    alert.script = "/bin/sh";
    alert.args = {"-c", p.spec.alertCommand};
    alert.env = p.spec.env;
    alert.workingDir = p.spec.workingDir;
    SpawnRequest request;
    request.spec = &alert;
    request.extraEnv = {{"FOREVER_UID", p.spec.uid},
                        {"FOREVER_EVENT", "crash-loop"},
                        {"FOREVER_CRASHES", std::to_string(p.recentCrashes)}};
    request.stdoutTo = options_.journal ? OutputTarget::Journal : OutputTarget::Null;
    request.stderrTo = request.stdoutTo;
    try {
        // Not supervised: reapChildren() reaps it like any orphan.
        spawnProcess(request);
    } catch (const SpawnError& e) {
        emit(SupervisorEvent::Kind::LogError, p, fmt::format("alert command: {}", e.what()));
    }
}

// Whether `pid` is the run's process, in its group, or one of its descendants.
static bool belongsTo(const Run& run, pid_t pid) {
    if (run.pid <= 0) {
        return false;
    }
    if (pid == run.pid) {
        return true;
    }
    auto st = readStat(pid);
    if (st && st->pgid == run.pid) {
        return true;
    }
    // The /proc walk only for processes that left the group.
    auto tree = descendants(run.pid);
    return std::find(tree.begin(), tree.end(), pid) != tree.end();
}

// Processes carrying the app's FOREVER_UID, except the incoming run of a
// reload (it carries the same uid and must survive the old run's end).
static std::vector<pid_t> straysOf(const Process& p) {
    auto pids =
        descendantsCarrying(::getpid(), "FOREVER_UID=" + p.spec.uid, "FOREVER_EVENT=crash-loop");
    if (p.incoming) {
        std::erase_if(pids, [&](pid_t pid) { return belongsTo(*p.incoming, pid); });
    }
    return pids;
}

void Supervisor::stopStrays(const Process& p) {
    if (!p.spec.killTree) {
        return;
    }
    // pidfds, so the SIGKILL later can never hit a recycled pid.
    auto fds = std::make_shared<std::vector<UniqueFd>>();
    for (pid_t pid : straysOf(p)) {
        if (pid == p.run.pid) {
            continue;
        }
        UniqueFd fd(static_cast<int>(::pidfd_open(pid, 0)));
        if (fd) {
            ::pidfd_send_signal(fd.get(), p.spec.killSignal, nullptr, 0);
            fds->push_back(std::move(fd));
        }
    }
    if (fds->empty() || p.spec.killSignal == SIGKILL) {
        return;
    }
    auto* slot = &sweepers_.emplace_back();
    *slot = loop_.addTimer(p.spec.killTimeout, [fds] {
        for (const auto& fd : *fds) {
            ::pidfd_send_signal(fd.get(), SIGKILL, nullptr, 0);
        }
    });
}

void Supervisor::signalRun(Process& p, int signal) {
    if (!p.alive()) {
        return;
    }
    if (p.spec.killTree) {
        for (pid_t pid : treeOf(p.run)) {
            ::kill(pid, signal);
        }
        for (pid_t pid : straysOf(p)) {
            ::kill(pid, signal);
        }
    }
    ::kill(-p.run.pid, signal);
    sendSignal(p.run, signal);
}

void Supervisor::retire(const Process& p, Run run) {
    if (run.pid > 0) {
        const int signal = p.spec.killSignal;
        // Collected before the signal: once the main process dies, its
        // children are reparented and its tree is gone from /proc.
        std::vector<pid_t> tree = p.spec.killTree ? treeOf(run) : std::vector<pid_t>{};
        sweepGroup(run.pid, signal, p.spec.killTimeout);
        for (pid_t pid : tree) {
            ::kill(pid, signal);
        }
        sendSignal(run, signal);
        if (signal != SIGKILL && run.pidfd) {
            // By pidfd: the main process may have left its group, and a
            // recycled pid must never be hit.
            auto fd = std::make_shared<UniqueFd>(std::move(run.pidfd));
            auto* slot = &sweepers_.emplace_back();
            *slot = loop_.addTimer(p.spec.killTimeout,
                                   [fd] { ::pidfd_send_signal(fd->get(), SIGKILL, nullptr, 0); });
        }
        // Its exit is reaped with every other child's (reapChildren).
    }
    drainOutput(run);
}

void Supervisor::beginStop(Process& p) {
    signalRun(p, p.spec.killSignal);
    if (p.spec.killSignal == SIGKILL) {
        return;
    }
    Process* raw = &p;
    p.timer = loop_.addTimer(p.spec.killTimeout, [this, raw] {
        raw->timer.reset();
        signalRun(*raw, SIGKILL);
    });
}

void Supervisor::kill(Process& p, int signal) {
    if (!p.alive()) {
        throw SupervisorError(SupervisorError::Code::Busy,
                              fmt::format("'{}' is not running", p.spec.uid));
    }
    if (p.spec.killTree) {
        signalRun(p, signal);
    } else {
        sendSignal(p.run, signal);
    }
}

void Supervisor::stop(Process& p, Done done) {
    abandonReload(p, "the process is being stopped");
    if (done) {
        p.waiters.push_back(std::move(done));
    }
    if (!p.alive()) {
        stopStrays(p);
        remove(p);
        return;
    }
    p.state = ProcState::Stopping;
    if (p.pending == Process::Pending::None) {
        beginStop(p);
    }
    // A stop while restarting wins: the old run dies and nothing replaces it.
    p.pending = Process::Pending::Remove;
    emit(SupervisorEvent::Kind::Changed, p);
}

void Supervisor::restart(Process& p, Done done) {
    if (p.pending == Process::Pending::Remove) {
        throw SupervisorError(SupervisorError::Code::Busy,
                              fmt::format("'{}' is being stopped", p.spec.uid));
    }
    if (done) {
        p.waiters.push_back(std::move(done));
    }
    if (p.pending == Process::Pending::Restart) {
        return;  // already on its way: one restart serves every caller
    }
    abandonReload(p, "a restart was asked instead");
    if (!p.alive()) {
        p.timer.reset();
        p.pending = Process::Pending::Restart;
        afterExit(p, p.lastExit, Millis(0));
        return;
    }
    p.state = ProcState::Restarting;
    p.pending = Process::Pending::Restart;
    beginStop(p);
    emit(SupervisorEvent::Kind::Changed, p);
}

void Supervisor::finish(Process& p) {
    auto waiters = std::move(p.waiters);
    p.waiters.clear();
    for (auto& w : waiters) {
        w();
    }
}

void Supervisor::remove(Process& p) {
    specJsonCache_.erase(&p);  // before its address can be reused
    p.timer.reset();
    p.pending = Process::Pending::None;
    p.state = ProcState::Stopped;
    emit(SupervisorEvent::Kind::Removed, p);
    for (auto& f : logPathsOf(p)) {
        retiredLogFiles_.push_back(std::move(f));
    }
    auto waiters = std::move(p.waiters);
    size_t index = indexOf(p);
    if (p.run.capture && !p.run.capture->finished()) {
        // Its handler names `p`, which is about to be freed; what the
        // draining pipes still have to say goes to foreverd's own log.
        p.run.capture->setErrorHandler([uid = p.spec.uid](const std::string& message) {
            std::fprintf(stderr, "<4>foreverd: %s: log: %s\n", uid.c_str(), message.c_str());
        });
        draining_.push_back(std::move(p.run.capture));
    }
    // The later processes' indexes move down by one; that is not an event
    // (one per later process made a stopall of n processes O(n²)).
    table_.erase(table_.begin() + static_cast<std::ptrdiff_t>(index));
    for (auto& w : waiters) {
        w();
    }
}

void Supervisor::halt(Done done) {
    haltDone_ = std::move(done);
    for (auto& p : table_) {
        p->timer.reset();
        abandonReload(*p, "foreverd is stopping");
        if (p->alive()) {
            p->pending = Process::Pending::Halt;
            p->state = ProcState::Stopping;
            beginStop(*p);
        }
    }
    if (runningCount() == 0 && haltDone_) {
        auto d = std::move(haltDone_);
        haltDone_ = nullptr;
        d();
    }
}

std::string Supervisor::renderedSnapshot() const {
    // Runs on every change, for the whole table, so it is text assembled
    // from parts: the spec, which never changes after the start, is
    // rendered once (starting 1000 processes took 115 s when every save
    // converted and serialized every spec again).
    std::string out = "[";
    for (const auto& p : table_) {
        auto cached = specJsonCache_.find(p.get());
        if (cached == specJsonCache_.end()) {
            cached = specJsonCache_.emplace(p.get(), specToJson(p->spec).dump()).first;
        }
        out += out.size() > 1 ? ",\n  {\"spec\": " : "\n  {\"spec\": ";
        out += cached->second;
        out += fmt::format(", \"state\": {}, \"restarts\": {}", json(toString(p->state)).dump(),
                           p->restarts);
        if (p->alive() && p->run.pidStartTime) {
            out +=
                fmt::format(", \"pid\": {}, \"pidStartTime\": {}", p->run.pid, p->run.pidStartTime);
        }
        if (p->incoming && p->incoming->pid > 0 && p->incoming->pidStartTime) {
            out += fmt::format(", \"incomingPid\": {}, \"incomingPidStartTime\": {}",
                               p->incoming->pid, p->incoming->pidStartTime);
        }
        out += "}";
    }
    out += "\n]";
    return out;
}

namespace {
void killLeftover(const json& entry, const char* pidKey, const char* startKey) {
    if (!entry.contains(pidKey) || !entry.contains(startKey)) {
        return;
    }
    pid_t old = entry[pidKey].get<pid_t>();
    auto st = readStat(old);
    if (!st || st->startTimeTicks != entry[startKey].get<uint64_t>()) {
        return;  // gone, or the pid now belongs to someone else
    }
    int fd = static_cast<int>(::pidfd_open(old, 0));
    ::kill(-old, SIGKILL);
    ::kill(old, SIGKILL);
    if (fd >= 0) {
        struct pollfd pfd {
            fd, POLLIN, 0
        };
        ::poll(&pfd, 1, 2000);
        ::close(fd);
    }
}
}  // namespace

std::vector<std::string> Supervisor::restore(const json& processes) {
    std::vector<std::string> problems;
    if (!processes.is_array()) {
        problems.push_back("saved state: 'processes' is not a list");
        return problems;
    }
    for (const auto& entry : processes) {
        ProcessSpec spec;
        try {
            spec = specFromJson(entry.at("spec"));
        } catch (const std::exception& e) {
            problems.push_back(fmt::format("saved process skipped: {}", e.what()));
            continue;
        }
        // A previous foreverd that died without stopping its children (kill
        // -9 outside systemd) left them running (both runs, if it died in a
        // reload): stop those first, so each app runs exactly once and its
        // port is free for the new run.
        killLeftover(entry, "pid", "pidStartTime");
        killLeftover(entry, "incomingPid", "incomingPidStartTime");
        std::string state = entry.value("state", "running");
        if (state == "exited") {
            continue;  // it finished its work; nothing to bring back
        }
        unsigned restarts = entry.value("restarts", 0u);
        std::string uid = spec.uid;
        try {
            Process& p = start(std::move(spec));
            p.restarts = restarts;
        } catch (const std::exception& e) {
            problems.push_back(fmt::format("saved process '{}' not started: {}", uid, e.what()));
        }
    }
    return problems;
}

void Supervisor::onNotify(Process& p, pid_t sender, const NotifyFields& fields) {
    if (!p.alive()) {
        return;
    }
    // Only the app and what it started (its process group, or its tree):
    // the socket is abstract, so anyone on the machine could write to it.
    if (p.incoming && belongsTo(*p.incoming, sender)) {
        onIncomingNotify(p, fields);
        return;
    }
    if (!belongsTo(p.run, sender)) {
        return;
    }
    bool changed = false;
    if (auto it = fields.find("STATUS"); it != fields.end() && it->second != p.run.statusText) {
        p.run.statusText = it->second;
        changed = true;
    }
    if (auto it = fields.find("READY"); it != fields.end() && it->second == "1" && !p.run.ready) {
        p.run.ready = true;
        if (p.state == ProcState::Starting) {
            p.state = ProcState::Running;
        }
        emit(SupervisorEvent::Kind::Ready, p);
        changed = true;
    }
    if (auto it = fields.find("WATCHDOG"); it != fields.end()) {
        if (it->second == "1") {
            armWatchdog(p);
        } else if (it->second == "trigger") {
            p.watchdogTimer = loop_.addTimer(Millis(0), [this, &p] {
                p.watchdogTimer.reset();
                emit(SupervisorEvent::Kind::Watchdog, p, "the app asked (WATCHDOG=trigger)");
                signalRun(p, SIGKILL);
            });
        }
    }
    if (changed) {
        emit(SupervisorEvent::Kind::Changed, p);
    }
}

void Supervisor::armWatchdog(Process& p) {
    if (p.spec.watchdogSec == 0 || !p.alive()) {
        return;
    }
    p.watchdogTimer = loop_.addTimer(std::chrono::seconds(p.spec.watchdogSec), [this, &p] {
        p.watchdogTimer.reset();
        if (!p.alive() || p.pending != Process::Pending::None) {
            return;
        }
        // Hung (or stopped): nothing short of SIGKILL is sure to end it.
        emit(SupervisorEvent::Kind::Watchdog, p,
             fmt::format("no WATCHDOG=1 for {} s", p.spec.watchdogSec));
        signalRun(p, SIGKILL);
    });
}

void Supervisor::scheduleHealthCheck(Process& p) {
    std::string error;
    auto url = parseHttpUrl(p.spec.healthUrl, error);
    if (!url || !p.alive()) {
        return;
    }
    const Millis interval = std::chrono::seconds(p.spec.healthInterval);
    // The first check waits one interval: the app needs time to listen.
    p.healthTimer = loop_.addTimer(interval, [this, &p, url = *url, interval] {
        p.healthTimer.reset();
        if (!p.alive() || p.pending != Process::Pending::None) {
            return;
        }
        const Millis timeout = std::min<Millis>(interval, Millis(5000));
        p.healthProbe = std::make_unique<HttpProbe>(
            loop_, url, timeout, [this, &p](bool ok, const std::string& detail) {
                // Safe here: the probe touches nothing after calling us.
                p.healthProbe.reset();
                if (!p.alive()) {
                    return;
                }
                if (ok) {
                    p.healthFailuresInRow = 0;
                } else if (++p.healthFailuresInRow >= p.spec.healthFailures) {
                    emit(SupervisorEvent::Kind::Unhealthy, p,
                         fmt::format("{} failed health checks in a row (last: {})",
                                     p.healthFailuresInRow, detail));
                    p.healthFailuresInRow = 0;
                    restart(p, {});
                    return;
                }
                scheduleHealthCheck(p);
            });
    });
}

void Supervisor::startWatching(Process& p) {
    std::filesystem::path root = p.spec.watchDirectory.empty()
                                     ? std::filesystem::path(p.spec.script).parent_path()
                                     : std::filesystem::path(p.spec.watchDirectory);
    Process* raw = &p;
    try {
        p.watcher = std::make_unique<FileWatcher>(
            loop_, root, p.spec.watchIgnorePatterns, Millis(300),
            [this, raw](const std::string& changed) {
                if (raw->pending != Process::Pending::None) {
                    return;  // already stopping or restarting
                }
                emit(SupervisorEvent::Kind::FileChanged, *raw, changed);
                restart(*raw, {});
            });
    } catch (const std::system_error& e) {
        throw SupervisorError(SupervisorError::Code::InvalidArgument,
                              fmt::format("cannot watch {}: {}", root.string(), e.what()));
    }
}

std::vector<std::string> Supervisor::logPathsOf(const Process& p) const {
    const ProcessSpec& s = p.spec;
    std::vector<std::string> out;
    for (const std::string* f : {&s.logFile, &s.outFile, &s.errFile}) {
        if (!f->empty()) {
            out.push_back(*f);
        }
    }
    if (out.empty() && !options_.journal && !s.silent) {
        out.push_back((options_.defaultLogDir / (s.uid + ".log")).string());
    }
    return out;
}

std::vector<std::string> Supervisor::cleanLogs() {
    std::vector<LogOwner> owners;
    for (const auto& p : table_) {
        owners.push_back({logPathsOf(*p), p->state != ProcState::Exited &&
                                              p->state != ProcState::Failed &&
                                              p->state != ProcState::Stopped});
    }
    auto removed = forever::cleanLogs(owners, retiredLogFiles_, options_.defaultLogDir);
    retiredLogFiles_.clear();
    return removed;
}

void Supervisor::pruneLogs() {
    for (auto& [path, weak] : logFiles_) {
        if (auto file = weak.lock()) {
            file->pruneOld();
        }
    }
    std::erase_if(logFiles_, [](const auto& entry) { return entry.second.expired(); });
    // Hourly is plenty for an age counted in days, and costs nothing idle.
    pruneTimer_ = loop_.addTimer(std::chrono::hours(1), [this] { pruneLogs(); });
}

}  // namespace forever
