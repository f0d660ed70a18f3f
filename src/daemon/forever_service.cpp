#include "daemon/forever_service.hpp"

#include <fmt/format.h>
#include <syslog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "config.h"
#include "core/log_file.hpp"
#include "core/process_spec.hpp"
#include "daemon/dbus_errors.hpp"
#include "daemon/spec_from_dbus.hpp"

namespace forever {

using dbus_errors::guarded;

ForeverService::ForeverService(sdbus::IConnection& connection, EventLoop& loop,
                               Supervisor& supervisor, JournalEvents& journal,
                               std::map<std::string, std::string> defaultEnv)
    : AdaptorInterfaces(connection, "/org/forever/Forever1"),
      supervisor_(supervisor),
      journal_(journal),
      defaultEnv_(std::move(defaultEnv)) {
    registerAdaptor();
    processObjects_ = std::make_unique<ProcessObjects>(
        bus::busOf(getObject().createSignal(Manager_adaptor::INTERFACE_NAME, "ProcessStarted")),
        loop, supervisor_, figures_);
}

ForeverService::~ForeverService() {
    groups_.reset();
    processObjects_.reset();
    unregisterAdaptor();
}

GroupControl& ForeverService::groups() {
    if (!groups_) {
        groups_ = std::make_unique<GroupControl>(
            getObject().getConnection(), access_ && access_->systemMode(), supervisor_, journal_,
            [this](const std::string& group, const std::string& uid, const std::string& step,
                   const std::string& detail) {
                try {
                    emitGroupProgress(group, uid, step, detail);
                } catch (const sdbus::Error&) {
                    // A lost connection; BusAttachment reports it.
                }
            });
    }
    return *groups_;
}

void ForeverService::onEvent(const SupervisorEvent& e) {
    journal_.record(e);
    if (e.kind == SupervisorEvent::Kind::Added) {
        groups().onAdded(*e.process);
    } else if (e.kind == SupervisorEvent::Kind::Removed) {
        groups().onRemoved(*e.process);
    }
    try {
        publish(e);
    } catch (const sdbus::Error&) {
        // Only a lost connection makes an sdbus-c++ signal fail;
        // BusAttachment reports that and stops foreverd. Supervision (the
        // halt in progress) must not be cut short by it.
    } catch (const std::exception& error) {
        // A raw sd-bus signal (ProcessObjects) that failed otherwise (no
        // memory, a full queue): said, and supervision goes on.
        journal_.daemonMessage(LOG_WARNING, fmt::format("{}: D-Bus signal not sent: {}",
                                                        e.process->spec.uid, error.what()));
    }
}

void ForeverService::announceMetrics() {
    try {
        const auto nowUs = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
        emitMetricsSampled(static_cast<uint64_t>(nowUs));
    } catch (const sdbus::Error&) {
        // A lost connection: as in onEvent, BusAttachment reports it.
    }
}

void ForeverService::publish(const SupervisorEvent& e) {
    Process& p = *e.process;
    const std::string& uid = p.spec.uid;
    auto path = [&] { return sdbus::ObjectPath(processObjectPath(uid)); };
    switch (e.kind) {
        case SupervisorEvent::Kind::Added:
            processObjects_->added(p);
            return;
        case SupervisorEvent::Kind::Removed:
            figures_.erase(uid);
            processObjects_->removed(p);
            return;
        case SupervisorEvent::Kind::Started:
            if (p.restarts > 0) {
                emitProcessRestarted(path(), uid, static_cast<uint32_t>(p.run.pid), p.restarts);
            } else {
                emitProcessStarted(path(), uid, static_cast<uint32_t>(p.run.pid));
            }
            break;
        case SupervisorEvent::Kind::Exited:
            emitProcessExited(path(), uid, e.status.code, e.status.signal);
            break;
        case SupervisorEvent::Kind::CrashLoop:
            emitCrashLoop(path(), uid, p.recentCrashes);
            break;
        case SupervisorEvent::Kind::GaveUp:
            emitGaveUp(path(), uid, e.reason);
            break;
        case SupervisorEvent::Kind::Changed:
        case SupervisorEvent::Kind::LogError:
        case SupervisorEvent::Kind::FileChanged:
        case SupervisorEvent::Kind::Ready:
        case SupervisorEvent::Kind::Watchdog:
        case SupervisorEvent::Kind::Unhealthy:
        case SupervisorEvent::Kind::Reloaded:
        case SupervisorEvent::Kind::ReloadFailed:
            break;
    }
    processObjects_->changed(p);
}

sdbus::ObjectPath ForeverService::startProcess(ProcessSpec spec) {
    Process& p = supervisor_.start(std::move(spec));
    return sdbus::ObjectPath(processObjectPath(p.spec.uid));
}

void ForeverService::Scale(
    sdbus::Result<std::vector<std::string>, std::vector<std::string>>&& result, std::string group,
    std::string count) {
    guarded([&] {
        controllable(groups().membersOf(group), true);
        groups().scale(
            group, count, [this](ProcessSpec spec) { return startProcess(std::move(spec)); },
            std::move(result));
    });
}

void ForeverService::ReloadGroup(sdbus::Result<std::vector<std::string>>&& result,
                                 std::string group, uint32_t parallel) {
    guarded([&] {
        controllable(groups().membersOf(group), true);
        groups().reloadGroup(group, parallel, std::move(result));
    });
}

void ForeverService::ScheduledRestart(const std::string& name) {
    guarded([&] {
        for (const auto& p : supervisor_.processes()) {
            if (p->spec.uid == name || p->spec.group == name) {
                controllable({p.get()}, true);
            }
        }
        groups().scheduledRestart(name);
    });
}

std::vector<Process*> ForeverService::controllable(const std::vector<Process*>& all, bool strict) {
    if (!access_) {
        return all;
    }
    std::vector<Process*> out;
    for (Process* p : all) {
        if (strict) {
            access_->checkMayControl(getObject(), *p);
        }
        if (access_->mayControl(getObject(), *p)) {
            out.push_back(p);
        }
    }
    return out;
}

std::vector<Process*> ForeverService::resolveOrThrow(const std::string& target) {
    auto found = supervisor_.resolve(target);
    if (found.empty()) {
        throw sdbus::Error(dbus_errors::kNotFound, fmt::format("no process matches '{}'", target));
    }
    return found;
}

void ForeverService::applyToAll(const std::vector<Process*>& processes, Action action,
                                sdbus::Result<std::vector<std::string>>&& result) {
    struct Pending {
        sdbus::Result<std::vector<std::string>> result;
        std::vector<std::string> uids;
        size_t left;
    };
    auto pending = std::make_shared<Pending>(Pending{std::move(result), {}, processes.size()});
    if (processes.empty()) {
        pending->result.returnResults(pending->uids);
        return;
    }
    // Uids are taken first: a stop removes (and frees) the process.
    for (Process* p : processes) {
        pending->uids.push_back(p->spec.uid);
    }
    std::vector<std::string> errors;
    // Stopped last first, as supervisors stop what they started (a later app
    // may use an earlier one).
    std::vector<Process*> order(processes);
    if (action == &Supervisor::stop) {
        std::reverse(order.begin(), order.end());
    }
    for (Process* p : order) {
        try {
            (supervisor_.*action)(*p, [pending] {
                if (--pending->left == 0) {
                    pending->result.returnResults(pending->uids);
                }
            });
        } catch (...) {
            errors.push_back(dbus_errors::toDbusError(std::current_exception()).getMessage());
            if (--pending->left == 0) {
                pending->result.returnError(sdbus::Error(dbus_errors::kBusy, errors.front()));
            }
        }
    }
}

void ForeverService::Stop(sdbus::Result<std::vector<std::string>>&& result, std::string target) {
    guarded([&] {
        if (!supervisor_.findByUid(target) && supervisor_.startQueued(target)) {
            // An app a bulk start has yet to start: it never does (one being
            // spawned is killed once back), and that start reports it.
            bool cancelled = false;
            supervisor_.cancelPendingStarts(
                "stopped before its turn to start", [&](const ProcessSpec& spec) {
                    const bool match =
                        spec.uid == target && (!access_ || access_->mayControl(getObject(), spec));
                    cancelled = cancelled || match;
                    return match;
                });
            if (cancelled) {
                result.returnResults(std::vector<std::string>{target});
                return;
            }
        }
        applyToAll(controllable(resolveOrThrow(target), true), &Supervisor::stop,
                   std::move(result));
    });
}

void ForeverService::Restart(sdbus::Result<std::vector<std::string>>&& result, std::string target) {
    guarded([&] {
        applyToAll(controllable(resolveOrThrow(target), true), &Supervisor::restart,
                   std::move(result));
    });
}

namespace {
std::vector<Process*> everyProcess(const Supervisor& supervisor) {
    std::vector<Process*> all;
    for (const auto& p : supervisor.processes()) {
        all.push_back(p.get());
    }
    return all;
}
}  // namespace

void ForeverService::StopAll(sdbus::Result<std::vector<std::string>>&& result) {
    guarded([&] {
        // What a bulk start has yet to spawn would outlive the stopall: the
        // caller's, as what it stops (another user's stays queued).
        supervisor_.cancelPendingStarts(
            "stopped before its turn to start (stopall)", [this](const ProcessSpec& spec) {
                return !access_ || access_->mayControl(getObject(), spec);
            });
        applyToAll(controllable(everyProcess(supervisor_), false), &Supervisor::stop,
                   std::move(result));
    });
}

void ForeverService::RestartAll(sdbus::Result<std::vector<std::string>>&& result) {
    guarded([&] {
        applyToAll(controllable(everyProcess(supervisor_), false), &Supervisor::restart,
                   std::move(result));
    });
}

void ForeverService::Reload(sdbus::Result<std::vector<std::string>>&& result, std::string target) {
    guarded([&] {
        if (!supervisor_.findByUid(target) && !groups().membersOf(target).empty()) {
            // A group is rolled, never reloaded all at once.
            ReloadGroup(std::move(result), target, 1);
            return;
        }
        struct Pending {
            sdbus::Result<std::vector<std::string>> result;
            std::vector<std::string> uids;
            std::vector<std::string> failures;
            std::string errorName;  // of the first failure
            size_t left;
        };
        auto processes = controllable(resolveOrThrow(target), true);
        auto pending =
            std::make_shared<Pending>(Pending{std::move(result), {}, {}, {}, processes.size()});
        if (processes.empty()) {
            pending->result.returnResults(pending->uids);
            return;
        }
        auto settle = [pending] {
            if (--pending->left > 0) {
                return;
            }
            if (pending->failures.empty()) {
                pending->result.returnResults(pending->uids);
            } else {
                // Every failure, one per line: each names its process.
                std::string all;
                for (const auto& f : pending->failures) {
                    all += (all.empty() ? "" : "\n") + f;
                }
                pending->result.returnError(sdbus::Error(pending->errorName, all));
            }
        };
        for (Process* p : processes) {
            pending->uids.push_back(p->spec.uid);
        }
        for (Process* p : processes) {
            std::string uid = p->spec.uid;
            try {
                supervisor_.reload(*p, [pending, settle, uid](const std::string& failure) {
                    if (!failure.empty()) {
                        if (pending->failures.empty()) {
                            pending->errorName = dbus_errors::kSpawnFailed;
                        }
                        pending->failures.push_back(fmt::format("{}: {}", uid, failure));
                    }
                    settle();
                });
            } catch (...) {
                auto error = dbus_errors::toDbusError(std::current_exception());
                if (pending->failures.empty()) {
                    pending->errorName = error.getName();
                }
                pending->failures.push_back(fmt::format("{}: {}", uid, error.getMessage()));
                settle();
            }
        }
    });
}

void ForeverService::StopByPid(sdbus::Result<std::string>&& result, uint32_t pid) {
    guarded([&] {
        // Only a pid this daemon started: `stopbypid 1` must never signal init.
        Process* p = supervisor_.findByPid(static_cast<pid_t>(pid));
        if (!p) {
            throw sdbus::Error(dbus_errors::kNotFound,
                               fmt::format("pid {} is not a process forever supervises", pid));
        }
        controllable({p}, true);
        std::string uid = p->spec.uid;
        auto shared = std::make_shared<sdbus::Result<std::string>>(std::move(result));
        supervisor_.stop(*p, [shared, uid] { shared->returnResults(uid); });
    });
}

std::vector<ProcessRow> ForeverService::List() {
    return guarded([&] {
        std::vector<ProcessRow> out;
        const auto& table = supervisor_.processes();
        out.reserve(table.size());
        for (size_t i = 0; i < table.size(); ++i) {
            out.push_back(processRow(*table[i], i, figuresOf(figures_, table[i]->spec.uid)));
        }
        return out;
    });
}

std::vector<sdbus::Struct<ProcessRow, std::string>> ForeverService::ListV2() {
    return guarded([&] {
        std::vector<sdbus::Struct<ProcessRow, std::string>> out;
        const auto& table = supervisor_.processes();
        out.reserve(table.size());
        for (size_t i = 0; i < table.size(); ++i) {
            out.emplace_back(processRow(*table[i], i, figuresOf(figures_, table[i]->spec.uid)),
                             table[i]->spec.group);
        }
        return out;
    });
}

ProcessColumns ForeverService::ListColumns(const std::vector<std::string>& names) {
    return guarded([&] {
        try {
            return processColumns(supervisor_.processes(), names, figures_);
        } catch (const std::invalid_argument& e) {
            throw sdbus::Error(dbus_errors::kInvalidArgument, e.what());
        }
    });
}

std::map<std::string, uint64_t> ForeverService::ListCPUUsageNSec() {
    return guarded([&] {
        std::map<std::string, uint64_t> out;
        for (const auto& p : supervisor_.processes()) {
            out[p->spec.uid] = figuresOf(figures_, p->spec.uid).cpuNsec;
        }
        return out;
    });
}

std::vector<sdbus::ObjectPath> ForeverService::Find(const std::string& target) {
    return guarded([&] {
        std::vector<sdbus::ObjectPath> out;
        for (Process* p : resolveOrThrow(target)) {
            out.emplace_back(processObjectPath(p->spec.uid));
        }
        return out;
    });
}

sdbus::ObjectPath ForeverService::GetProcess(const std::string& target) {
    return guarded([&] {
        auto found = resolveOrThrow(target);
        if (found.size() > 1) {
            throw sdbus::Error(dbus_errors::kInvalidArgument,
                               fmt::format("'{}' matches {} processes; use an index or uid", target,
                                           found.size()));
        }
        return sdbus::ObjectPath(processObjectPath(found.front()->spec.uid));
    });
}

std::vector<std::string> ForeverService::CleanLogs() {
    return guarded([&] {
        // It deletes files of every user's processes.
        if (access_ && !access_->privileged(getObject())) {
            throw sdbus::Error(dbus_errors::kAccessDenied, "cleanlogs is for root");
        }
        return supervisor_.cleanLogs();
    });
}

std::string ForeverService::Version() {
    return FOREVER_VERSION;
}

uint32_t ForeverService::ProcessCount() {
    return static_cast<uint32_t>(supervisor_.processCount());
}

uint32_t ForeverService::RunningCount() {
    return static_cast<uint32_t>(supervisor_.runningCount());
}

}  // namespace forever
