#include "core/supervisor.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>

// Complete types for the members of Process destroyed here.
#include "core/file_watcher.hpp"
#include "core/http_probe.hpp"
#include "core/output_capture.hpp"

namespace forever {

Supervisor::Supervisor(EventLoop& loop, SupervisorOptions options, Listener listener)
    : Supervisor(loop, systemProcessControl(), std::move(options), std::move(listener)) {}

Supervisor::Supervisor(EventLoop& loop, ProcessControl& control, SupervisorOptions options,
                       Listener listener)
    : loop_(loop),
      control_(control),
      options_(std::move(options)),
      listener_(std::move(listener)),
      killPlan_(loop, control),
      logFiles_(loop, options_),
      launcher_(
          loop, control, logFiles_, options_,
          {.logError = [this](Process& p,
                              const std::string& message) { emit(Kind::LogError, p, message); },
           .notified =
               [this](pid_t sender, const NotifyFields& f) {
                   if (Process* p = processOfSender(sender)) {
                       health_.onNotify(*p, sender, f);
                   }
               },
           .childExited = [this](int pidfd) { reapRun(pidfd); }}),
      health_(loop, killPlan_, healthReports()) {}

Process* Supervisor::processOfSender(pid_t sender) {
    auto known = [this](pid_t pid) {
        Process* p = table_.findByPid(pid);
        return p ? p : table_.findByIncomingPid(pid);
    };
    if (Process* p = known(sender)) {
        return p;
    }
    auto st = control_.stat(sender);
    if (!st) {
        return nullptr;
    }
    if (Process* p = known(st->pgid)) {
        return p;  // runs lead their own process group
    }
    // Up the parents, bounded: a pid cycle in a torn /proc read ends it.
    for (int depth = 0; depth < 64 && st && st->ppid > 1; ++depth) {
        if (Process* p = known(st->ppid)) {
            return p;
        }
        st = control_.stat(st->ppid);
    }
    return nullptr;
}

AppHealth::Reports Supervisor::healthReports() {
    return {
        .ready = [this](Process& p) { emit(Kind::Ready, p); },
        .changed = [this](Process& p) { emit(Kind::Changed, p); },
        .incoming = [this](Process& p, const NotifyFields& f) { onIncomingNotify(p, f); },
        .hung =
            [this](Process& p, const std::string& why) {
                // Hung (or stopped): nothing short of SIGKILL is sure to end it.
                emit(Kind::Watchdog, p, why);
                killPlan_.signalRun(p, SIGKILL);
            },
        .unhealthy =
            [this](Process& p, const std::string& why) {
                emit(Kind::Unhealthy, p, why);
                restart(p, {});
            },
        .fileChanged =
            [this](Process& p, const std::string& file) {
                emit(Kind::FileChanged, p, file);
                restart(p, {});
            },
    };
}

void Supervisor::memorySampled(Process& p, uint64_t rssBytes,
                               const std::function<void(const std::string& why)>& warn) {
    if (auto why = AppHealth::overMemory(p, rssBytes)) {
        warn(*why);
        restart(p, {});
    }
}

Supervisor::~Supervisor() = default;

void Supervisor::emit(SupervisorEvent::Kind kind, Process& p, std::string reason) {
    if (listener_) {
        SupervisorEvent event{kind, &p, p.lastExit, std::move(reason)};
        listener_(event);
    }
}

const std::vector<std::unique_ptr<Process>>& Supervisor::processes() const {
    return table_.entries();
}

std::vector<Process*> Supervisor::resolve(const std::string& target, const std::string& cwd) const {
    return table_.resolve(target, cwd);
}

std::string Supervisor::generateUid() const {
    for (;;) {
        std::string uid = table_.generateUid();
        if (!queuedUids_.count(uid)) {
            return uid;
        }
    }
}

Process* Supervisor::findByUid(const std::string& uid) const {
    return table_.findByUid(uid);
}

Process* Supervisor::findByPid(pid_t pid) const {
    return table_.findByPid(pid);
}

size_t Supervisor::indexOf(const Process& process) const {
    return table_.indexOf(process);
}

size_t Supervisor::runningCount() const {
    return table_.runningCount();
}

Process& Supervisor::start(ProcessSpec spec) {
    prepare(spec);
    return startPrepared(std::move(spec));
}

void Supervisor::prepare(ProcessSpec& spec) const {
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
    requireUidFree(spec.uid);
}

void Supervisor::requireUidFree(const std::string& uid) const {
    if (findByUid(uid)) {
        throw SupervisorError(SupervisorError::Code::AlreadyExists,
                              fmt::format("a process with uid '{}' already exists", uid));
    }
    if (queuedUids_.count(uid)) {
        throw SupervisorError(
            SupervisorError::Code::AlreadyExists,
            fmt::format("a process with uid '{}' is queued to start already", uid));
    }
}

Process& Supervisor::startPrepared(ProcessSpec spec) {
    auto owned = std::make_unique<Process>();
    Process& p = *owned;
    p.spec = std::move(spec);
    if (!p.spec.listen.empty()) {
        p.listenSocket = launcher_.listenSocketFor(p.spec, table_);
    }
    if (p.spec.watch) {
        health_.startWatching(p);
    }
    spawnRun(p);  // throws before the process enters the table
    table_.add(std::move(owned));
    emit(Kind::Added, p);
    emit(Kind::Started, p);
    return p;
}

void Supervisor::spawnRun(Process& p) {
    launcher_.drainOutput(p.run);
    p.run = launcher_.launch(p);
    becomeCurrent(p);
}

void Supervisor::becomeCurrent(Process& p) {
    table_.runBegan(p);
    p.state = p.spec.waitReady && !p.run.ready ? ProcState::Starting : ProcState::Running;
    p.reason.clear();
    p.pending = Process::Pending::None;
    p.timer.reset();
    health_.runBegan(p);
    if (!p.spec.pidFile.empty()) {
        pidFiles_.write(p.spec.pidFile, p.run.pid);
    }
}

void Supervisor::retire(const Process& p, Run run) {
    killPlan_.retire(p, run);
    launcher_.drainOutput(run);
}
void Supervisor::kill(Process& p, int signal) {
    if (!p.alive()) {
        throw SupervisorError(SupervisorError::Code::Busy,
                              fmt::format("'{}' is not running", p.spec.uid));
    }
    if (p.spec.killTree) {
        killPlan_.signalRun(p, signal);
    } else {
        killPlan_.signalMain(p.run, signal);
    }
}

void Supervisor::stop(Process& p, Done done) {
    abandonReload(p, "the process is being stopped");
    if (done) {
        p.waiters.push_back(std::move(done));
    }
    if (!p.alive()) {
        killPlan_.stopStrays(p);
        remove(p);
        return;
    }
    p.state = ProcState::Stopping;
    if (p.pending == Process::Pending::None) {
        killPlan_.beginStop(p);
    }
    // A stop while restarting wins: the old run dies and nothing replaces it.
    p.pending = Process::Pending::Remove;
    emit(Kind::Changed, p);
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
    killPlan_.beginStop(p);
    emit(Kind::Changed, p);
}

void Supervisor::finish(Process& p) {
    auto waiters = std::move(p.waiters);
    p.waiters.clear();
    for (auto& w : waiters) {
        w();
    }
}

void Supervisor::remove(Process& p) {
    p.timer.reset();
    p.pending = Process::Pending::None;
    p.state = ProcState::Stopped;
    emit(Kind::Removed, p);
    logFiles_.retire(p);
    auto waiters = std::move(p.waiters);
    if (p.run.capture && !p.run.capture->finished()) {
        // Its handler names `p`, which is about to be freed; what the
        // draining pipes still have to say goes to foreverd's own log.
        p.run.capture->setErrorHandler([uid = p.spec.uid](const std::string& message) {
            std::fprintf(stderr, "<4>foreverd: %s: log: %s\n", uid.c_str(), message.c_str());
        });
    }
    launcher_.drainOutput(p.run);
    // The later processes' indexes move down by one; that is not an event
    // (one per later process made a stopall of n processes O(n²)).
    table_.erase(p);
    for (auto& w : waiters) {
        w();
    }
}

void Supervisor::halt(Done done) {
    halting_ = true;
    haltDone_ = std::move(done);
    for (auto& p : table_.entries()) {
        p->timer.reset();
        abandonReload(*p, "foreverd is stopping");
        if (p->alive()) {
            p->pending = Process::Pending::Halt;
            p->state = ProcState::Stopping;
            killPlan_.beginStop(*p);
        }
    }
    // After the runs' stops, so an answer that cannot be sent (a lost bus
    // is one reason to halt) does not keep them from stopping, nor the
    // halt from completing.
    std::exception_ptr unanswered;
    try {
        cancelPendingStarts("foreverd is stopping");
    } catch (...) {
        unanswered = std::current_exception();
    }
    completeHaltIfIdle();
    if (unanswered) {
        std::rethrow_exception(unanswered);
    }
}

std::vector<std::string> Supervisor::logPathsOf(const Process& p) const {
    return logFiles_.pathsOf(p);
}

std::vector<std::string> Supervisor::cleanLogs() {
    return logFiles_.clean(table_);
}

void Supervisor::pruneLogs() {
    logFiles_.prune();
}

}  // namespace forever
