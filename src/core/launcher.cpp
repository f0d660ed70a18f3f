#include "core/launcher.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include "core/listen_socket.hpp"
#include "core/output_capture.hpp"
#include "core/process_table.hpp"

namespace forever {

namespace {

int64_t realtimeMicros() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

Launcher::Launcher(EventLoop& loop, ProcessControl& control, LogFiles& logFiles,
                   const SupervisorOptions& options, Callbacks callbacks)
    : loop_(loop),
      control_(control),
      logFiles_(logFiles),
      options_(options),
      callbacks_(std::move(callbacks)) {}

Launcher::~Launcher() = default;

UniqueFd Launcher::listenSocketFor(const ProcessSpec& spec, const ProcessTable& table) {
    const std::string& address = spec.listen;
    // Instances of one app listen on one address: they share the socket
    // (and the kernel spreads the connections), as node's cluster does.
    // Another program gets EADDRINUSE, as it would from bind.
    for (const auto& other : table.entries()) {
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

void Launcher::chooseOutput(const Process& p, SpawnRequest& request) const {
    const ProcessSpec& s = p.spec;
    bool files = !s.outFile.empty() || !s.errFile.empty() || !s.logFile.empty();
    if (files || (!options_.journal && !s.silent)) {
        request.stdoutTo = OutputTarget::Pipe;
        request.stderrTo = OutputTarget::Pipe;
    } else if (s.silent) {
        // Without journald too: two pipes drained into nothing were two
        // descriptors and two loop sources per app.
        request.stdoutTo = OutputTarget::Null;
        request.stderrTo = OutputTarget::Null;
    } else {
        request.stdoutTo = OutputTarget::Journal;
        request.stderrTo = OutputTarget::Journal;
    }
}

std::unique_ptr<OutputCapture> Launcher::captureOutput(Process& p, SpawnedProcess& spawned) {
    if (!spawned.stdoutPipe) {
        return nullptr;  // journal or silent: the child writes there itself
    }
    const ProcessSpec& s = p.spec;
    OutputCapture::Sinks sinks;
    sinks.timestamp = s.timestamp;
    if (!s.outFile.empty() || !s.errFile.empty() || !s.logFile.empty()) {
        if (!s.outFile.empty()) {
            sinks.out = logFiles_.open(s.outFile, p);
        }
        if (!s.errFile.empty()) {
            sinks.err = logFiles_.open(s.errFile, p);
        }
        if (!s.logFile.empty()) {
            sinks.combined = logFiles_.open(s.logFile, p);
        }
    } else if (!s.silent) {
        // No journald on this machine: forever's default, a file per uid.
        sinks.combined = logFiles_.open(logFiles_.defaultPathOf(s), p);
    }
    Process* raw = &p;
    return std::make_unique<OutputCapture>(
        loop_, std::move(spawned.stdoutPipe), std::move(spawned.stderrPipe), std::move(sinks),
        [this, raw](const std::string& message) { callbacks_.logError(*raw, message); });
}

Run Launcher::launch(Process& p) {
    const SpawnRequest request = requestFor(p);
    SpawnedProcess spawned;
    try {
        spawned = control_.spawn(request);
    } catch (const SpawnError& e) {
        throw SupervisorError(SupervisorError::Code::SpawnFailed, e.what());
    }
    return adopt(p, std::move(spawned));
}

SpawnRequest Launcher::requestFor(Process& p) {
    SpawnRequest request;
    request.spec = &p.spec;
    request.extraEnv["FOREVER_UID"] = p.spec.uid;
    if (!options_.lineage.empty()) {
        request.extraEnv["FOREVER_SUPERVISOR"] = options_.lineage;
    }
    if (!notify_) {
        // One socket for every app, as systemd has one for every unit: the
        // kernel-checked sender pid says whose message it is. A socket per
        // app was a descriptor and a loop source each, and 10 000 apps must
        // fit in one process's descriptor limit.
        static unsigned sockets = 0;
        try {
            notify_ = std::make_unique<NotifySocket>(
                loop_, fmt::format("forever/{}/{}", ::getpid(), ++sockets),
                [this](pid_t sender, const NotifyFields& f) { callbacks_.notified(sender, f); });
        } catch (const std::system_error& e) {
            callbacks_.logError(p, fmt::format("no NOTIFY_SOCKET: {}", e.what()));
        }
    }
    if (notify_) {
        request.extraEnv["NOTIFY_SOCKET"] = notify_->address();
    }
    if (p.spec.watchdogSec > 0) {
        request.extraEnv["WATCHDOG_USEC"] = std::to_string(uint64_t{p.spec.watchdogSec} * 1000000);
    }
    chooseOutput(p, request);
    request.listenFd = p.listenSocket ? p.listenSocket.get() : -1;
    return request;
}

Run Launcher::adopt(Process& p, SpawnedProcess spawned) {
    Run run;
    run.pid = spawned.pid;
    run.pidfd = std::move(spawned.pidfd);
    run.startedSteady = loop_.now();
    run.startedAtUs = realtimeMicros();
    run.pidStartTime = spawned.startTimeTicks;
    if (!run.pidStartTime) {
        auto st = control_.stat(run.pid);
        run.pidStartTime = st ? st->startTimeTicks : 0;
    }
    try {
        run.capture = captureOutput(p, spawned);
    } catch (const SupervisorError& e) {
        // The run exists; its output has nowhere to go. Say so, keep it.
        callbacks_.logError(p, e.what());
    }
    // The pidfd turns readable when the process exits (at once if it has
    // already), and the supervisor reaps that one child through it
    // (Supervisor::reapRun).
    run.pidfdWatch = loop_.addReadableOnce(
        run.pidfd.get(), [this, fd = run.pidfd.get()] { callbacks_.childExited(fd); });
    return run;
}

void Launcher::drainOutput(Run& run) {
    if (run.capture && !run.capture->finished()) {
        // A grandchild may still hold the old pipes: keep reading them.
        draining_.push_back(std::move(run.capture));
    }
    run.capture.reset();
    std::erase_if(draining_, [](const auto& c) { return c->finished(); });
}

void Launcher::runAlert(Process& p) {
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
        control_.spawn(request);
    } catch (const SpawnError& e) {
        callbacks_.logError(p, fmt::format("alert command: {}", e.what()));
    }
}

}  // namespace forever
