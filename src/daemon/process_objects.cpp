#include "daemon/process_objects.hpp"

#include <cerrno>
#include <exception>
#include <system_error>

#include "bus/object_path.hpp"
#include "core/supervisor.hpp"
#include "daemon/access_policy.hpp"
#include "daemon/dbus_errors.hpp"
#include "daemon/process_properties.hpp"

namespace forever {

using dbus_errors::guarded;

namespace {

// A signal not sent because the connection is gone is BusAttachment's to
// report (it stops foreverd); anything else is a bug worth an exception.
void emitted(int r, const char* what) {
    if (r < 0 && r != -ENOTCONN && r != -ECONNRESET && r != -EPIPE) {
        throw std::system_error(-r, std::generic_category(), what);
    }
}

}  // namespace

ProcessObjects::ProcessObjects(sd_bus* bus, EventLoop& loop, Supervisor& supervisor,
                               const std::map<std::string, ProcessFigures>& figures)
    : bus_(bus), supervisor_(supervisor), figures_(figures), loop_(loop) {
    attach(bus, kProcessPathPrefix);
}

ProcessObjects::~ProcessObjects() = default;

uint64_t ProcessObjects::queuedWrites() const {
    uint64_t n = 0;
    return sd_bus_get_n_queued_write(bus_, &n) < 0 ? 0 : n;
}

void ProcessObjects::added(const Process& process) {
    emitted(sd_bus_emit_interfaces_added(bus_, processObjectPath(process.spec.uid).c_str(),
                                         INTERFACE_NAME, nullptr),
            "InterfacesAdded");
}

void ProcessObjects::removed(const Process& process) {
    pendingSet_.erase(&process);
    emitted(sd_bus_emit_interfaces_removed(bus_, processObjectPath(process.spec.uid).c_str(),
                                           INTERFACE_NAME, nullptr),
            "InterfacesRemoved");
}

void ProcessObjects::changed(const Process& process) {
    // Events come before Added (a start's first run, a log error on the way
    // to a spawn that fails) and for processes the table no longer holds:
    // no object to announce. Only a process in the table is queued, as only
    // its removal (removed()) can free it.
    if (supervisor_.findByUid(process.spec.uid) != &process) {
        return;
    }
    if (pendingSet_.insert(&process).second) {
        pending_.push_back(&process);
    }
    if (!flush_) {
        flush_ = loop_.addDeferred([this] { announcePending(); });
    }
}

void ProcessObjects::announcePending() {
    auto pending = std::move(pending_);
    pending_.clear();
    flush_.reset();
    // One failure neither stops the others nor leaves any queued for good
    // (changed() would never queue it again); the first is rethrown after.
    std::exception_ptr failure;
    for (const Process* p : pending) {
        if (pendingSet_.erase(p) > 0) {
            try {
                announceChanges(*p);
            } catch (const std::exception&) {
                if (!failure) {
                    failure = std::current_exception();
                }
            }
        }
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

void ProcessObjects::announceChanges(const Process& process) {
    static const char* const kMoving[] = {"MainPID",    "State",      "Restarts",      "StartedAt",
                                          "ExitCode",   "ExitSignal", "RecentCrashes", "Reason",
                                          "StatusText", "Ready",      nullptr};
    // The getters only read; the generated interface takes the object as
    // sd-bus hands it to them, not const.
    emitted(emitPropertiesChanged(bus_, processObjectPath(process.spec.uid).c_str(),
                                  const_cast<Process&>(process), kMoving),
            "PropertiesChanged");
}

Process* ProcessObjects::find(const char* path) {
    auto uid = processUidOfPath(path);
    return uid ? supervisor_.findByUid(*uid) : nullptr;
}

std::vector<std::string> ProcessObjects::objectPaths() {
    std::vector<std::string> paths;
    paths.reserve(supervisor_.processes().size());
    for (const auto& p : supervisor_.processes()) {
        paths.push_back(processObjectPath(p->spec.uid));
    }
    return paths;
}

const ProcessFigures& ProcessObjects::figuresOf(const Process& p) const {
    return forever::figuresOf(figures_, p.spec.uid);
}

void ProcessObjects::checkAccess(const bus::Call& call, const Process& p) const {
    if (access_) {
        access_->checkMayControl(call, p);
    }
}

void ProcessObjects::Stop(Process& p, const bus::Call& call, bus::PendingReply reply) {
    guarded([&] {
        checkAccess(call, p);
        supervisor_.stop(p, [reply] { reply.returnResults(); });
    });
}

void ProcessObjects::Restart(Process& p, const bus::Call& call, bus::PendingReply reply) {
    guarded([&] {
        checkAccess(call, p);
        supervisor_.restart(p, [reply] { reply.returnResults(); });
    });
}

void ProcessObjects::Reload(Process& p, const bus::Call& call, bus::PendingReply reply) {
    guarded([&] {
        checkAccess(call, p);
        supervisor_.reload(p, [reply](const std::string& failure) {
            if (failure.empty()) {
                reply.returnResults();
            } else {
                reply.returnError(sdbus::Error(dbus_errors::kSpawnFailed, failure));
            }
        });
    });
}

void ProcessObjects::Kill(Process& p, const bus::Call& call, int32_t signal) {
    guarded([&] {
        checkAccess(call, p);
        if (signal <= 0 || signal >= 65) {
            throw sdbus::Error(dbus_errors::kInvalidArgument, "not a signal number");
        }
        supervisor_.kill(p, signal);
    });
}

std::vector<std::tuple<uint64_t, uint64_t, double, uint64_t>> ProcessObjects::MetricsHistory(
    Process& p, const bus::Call&) {
    std::vector<std::tuple<uint64_t, uint64_t, double, uint64_t>> out;
    const ProcessFigures& figures = figuresOf(p);
    if (!figures.history) {
        return out;
    }
    // Samples carry steady-clock times; clients want wall-clock ones.
    const auto steadyNow = std::chrono::steady_clock::now();
    const auto realNowUs = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    out.reserve(figures.history->size());
    figures.history->forEach([&](const Sample& s) {
        const auto ageUs =
            std::chrono::duration_cast<std::chrono::microseconds>(steadyNow - s.at).count();
        out.emplace_back(static_cast<uint64_t>(realNowUs - ageUs), s.rssBytes, s.cpuPercent,
                         s.cpuNsec);
    });
    return out;
}

std::string ProcessObjects::Uid(Process& p) {
    return p.spec.uid;
}
uint32_t ProcessObjects::Index(Process& p) {
    return static_cast<uint32_t>(supervisor_.indexOf(p));
}
std::string ProcessObjects::Script(Process& p) {
    return p.spec.script;
}
std::string ProcessObjects::Command(Process& p) {
    return p.spec.command;
}
std::vector<std::string> ProcessObjects::Args(Process& p) {
    return p.spec.args;
}
std::string ProcessObjects::WorkingDirectory(Process& p) {
    return p.spec.workingDir;
}
uint32_t ProcessObjects::MainPID(Process& p) {
    return static_cast<uint32_t>(p.run.pid);
}
std::string ProcessObjects::State(Process& p) {
    return toString(p.state);
}
uint32_t ProcessObjects::Restarts(Process& p) {
    return p.restarts;
}
uint64_t ProcessObjects::StartedAt(Process& p) {
    return static_cast<uint64_t>(p.run.startedAtUs);
}
int32_t ProcessObjects::ExitCode(Process& p) {
    return exitCodeOf(p);
}
int32_t ProcessObjects::ExitSignal(Process& p) {
    return exitSignalOf(p);
}
std::string ProcessObjects::LogFile(Process& p) {
    return p.spec.logFile;
}
std::string ProcessObjects::OutFile(Process& p) {
    return p.spec.outFile;
}
std::string ProcessObjects::ErrFile(Process& p) {
    return p.spec.errFile;
}
uint64_t ProcessObjects::MemoryRSS(Process& p) {
    return figuresOf(p).rssBytes;
}
double ProcessObjects::CPUUsage(Process& p) {
    return figuresOf(p).cpuPercent;
}
uint64_t ProcessObjects::MemoryRSSAverage(Process& p) {
    return figuresOf(p).rssAverage;
}
double ProcessObjects::CPUUsageAverage(Process& p) {
    return figuresOf(p).cpuAverage;
}
uint32_t ProcessObjects::Samples(Process& p) {
    return figuresOf(p).samples;
}
std::string ProcessObjects::StatusText(Process& p) {
    return p.run.statusText;
}
bool ProcessObjects::Ready(Process& p) {
    return p.run.ready;
}
uint64_t ProcessObjects::MaxMemory(Process& p) {
    return p.spec.maxMemory;
}
uint32_t ProcessObjects::RecentCrashes(Process& p) {
    return p.recentCrashes;
}
std::string ProcessObjects::Reason(Process& p) {
    return p.reason;
}
uint64_t ProcessObjects::CPUUsageNSec(Process& p) {
    return figuresOf(p).cpuNsec;
}

}  // namespace forever
