#include "daemon/process_object.hpp"

#include "core/supervisor.hpp"
#include "daemon/access_policy.hpp"
#include "daemon/dbus_errors.hpp"
#include "daemon/process_properties.hpp"

namespace forever {

using dbus_errors::guarded;

ProcessObject::ProcessObject(sdbus::IConnection& connection, Supervisor& supervisor,
                             Process& process, const ProcessFigures& figures,
                             const AccessPolicy* access)
    : AdaptorInterfaces(connection, processObjectPath(process.spec.uid)),
      supervisor_(supervisor),
      process_(process),
      figures_(figures),
      access_(access) {
    registerAdaptor();
    emitInterfacesAddedSignal({org::forever::Forever1::Process_adaptor::INTERFACE_NAME});
}

ProcessObject::~ProcessObject() {
    try {
        emitInterfacesRemovedSignal({org::forever::Forever1::Process_adaptor::INTERFACE_NAME});
    } catch (const sdbus::Error&) {
        // The bus is gone (see ForeverService::onEvent); a destructor must not throw.
    }
    unregisterAdaptor();
}

void ProcessObject::announceChanges() {
    emitPropertiesChangedSignal(org::forever::Forever1::Process_adaptor::INTERFACE_NAME,
                                {"MainPID", "State", "Restarts", "StartedAt", "ExitCode",
                                 "ExitSignal", "RecentCrashes", "Reason", "StatusText", "Ready"});
}

void ProcessObject::checkAccess() {
    if (access_) {
        access_->checkMayControl(getObject(), process_);
    }
}

void ProcessObject::Stop(sdbus::Result<>&& result) {
    guarded([&] {
        checkAccess();
        auto shared = std::make_shared<sdbus::Result<>>(std::move(result));
        supervisor_.stop(process_, [shared] { shared->returnResults(); });
    });
}

void ProcessObject::Restart(sdbus::Result<>&& result) {
    guarded([&] {
        checkAccess();
        auto shared = std::make_shared<sdbus::Result<>>(std::move(result));
        supervisor_.restart(process_, [shared] { shared->returnResults(); });
    });
}

void ProcessObject::Reload(sdbus::Result<>&& result) {
    guarded([&] {
        checkAccess();
        auto shared = std::make_shared<sdbus::Result<>>(std::move(result));
        supervisor_.reload(process_, [shared](const std::string& failure) {
            if (failure.empty()) {
                shared->returnResults();
            } else {
                shared->returnError(sdbus::Error(dbus_errors::kSpawnFailed, failure));
            }
        });
    });
}

void ProcessObject::Kill(const int32_t& signal) {
    guarded([&] {
        checkAccess();
        if (signal <= 0 || signal >= 65) {
            throw sdbus::Error(dbus_errors::kInvalidArgument, "not a signal number");
        }
        supervisor_.kill(process_, signal);
    });
}

std::vector<sdbus::Struct<uint64_t, uint64_t, double, uint64_t>> ProcessObject::MetricsHistory() {
    std::vector<sdbus::Struct<uint64_t, uint64_t, double, uint64_t>> out;
    if (!figures_.history) {
        return out;
    }
    // Samples carry steady-clock times; clients want wall-clock ones.
    const auto steadyNow = std::chrono::steady_clock::now();
    const auto realNowUs = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    out.reserve(figures_.history->size());
    figures_.history->forEach([&](const Sample& s) {
        const auto ageUs =
            std::chrono::duration_cast<std::chrono::microseconds>(steadyNow - s.at).count();
        out.emplace_back(static_cast<uint64_t>(realNowUs - ageUs), s.rssBytes, s.cpuPercent,
                         s.cpuNsec);
    });
    return out;
}

std::string ProcessObject::Uid() {
    return process_.spec.uid;
}
uint32_t ProcessObject::Index() {
    return static_cast<uint32_t>(supervisor_.indexOf(process_));
}
std::string ProcessObject::Script() {
    return process_.spec.script;
}
std::string ProcessObject::Command() {
    return process_.spec.command;
}
std::vector<std::string> ProcessObject::Args() {
    return process_.spec.args;
}
std::string ProcessObject::WorkingDirectory() {
    return process_.spec.workingDir;
}
uint32_t ProcessObject::MainPID() {
    return static_cast<uint32_t>(process_.run.pid);
}
std::string ProcessObject::State() {
    return toString(process_.state);
}
uint32_t ProcessObject::Restarts() {
    return process_.restarts;
}
uint64_t ProcessObject::StartedAt() {
    return static_cast<uint64_t>(process_.run.startedAtUs);
}
int32_t ProcessObject::ExitCode() {
    return process_.hasExited ? process_.lastExit.code : -1;
}
int32_t ProcessObject::ExitSignal() {
    return process_.hasExited ? process_.lastExit.signal : 0;
}
std::string ProcessObject::LogFile() {
    return process_.spec.logFile;
}
std::string ProcessObject::OutFile() {
    return process_.spec.outFile;
}
std::string ProcessObject::ErrFile() {
    return process_.spec.errFile;
}
uint64_t ProcessObject::MemoryRSS() {
    return figures_.rssBytes;
}
double ProcessObject::CPUUsage() {
    return figures_.cpuPercent;
}
uint64_t ProcessObject::MemoryRSSAverage() {
    return figures_.rssAverage;
}
double ProcessObject::CPUUsageAverage() {
    return figures_.cpuAverage;
}
uint32_t ProcessObject::Samples() {
    return figures_.samples;
}
std::string ProcessObject::StatusText() {
    return process_.run.statusText;
}
bool ProcessObject::Ready() {
    return process_.run.ready;
}
uint64_t ProcessObject::MaxMemory() {
    return process_.spec.maxMemory;
}
uint32_t ProcessObject::RecentCrashes() {
    return process_.recentCrashes;
}
std::string ProcessObject::Reason() {
    return process_.reason;
}
uint64_t ProcessObject::CPUUsageNSec() {
    return figures_.cpuNsec;
}

}  // namespace forever
