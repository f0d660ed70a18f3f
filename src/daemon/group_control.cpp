#include "daemon/group_control.hpp"

#include <fmt/format.h>
#include <syslog.h>

#include <algorithm>
#include <stdexcept>

#include "core/group.hpp"
#include "core/supervisor.hpp"
#include "daemon/dbus_errors.hpp"
#include "daemon/journal_events.hpp"

namespace forever {

GroupControl::GroupControl(sdbus::IConnection& connection, bool systemMode, Supervisor& supervisor,
                           JournalEvents& journal, Announce announce)
    : supervisor_(supervisor),
      journal_(journal),
      announce_(std::move(announce)),
      timers_(connection, systemMode, [this](int priority, const std::string& message) {
          journal_.daemonMessage(priority, message);
      }) {}

const std::string& GroupControl::scheduleKey(const ProcessSpec& spec) {
    return spec.group.empty() ? spec.uid : spec.group;
}

bool GroupControl::scheduleInUse(const std::string& key, const Process* except) const {
    for (const auto& p : supervisor_.processes()) {
        if (p.get() != except && !p->spec.restartAt.empty() && scheduleKey(p->spec) == key) {
            return true;
        }
    }
    return false;
}

std::vector<Process*> GroupControl::membersOf(const std::string& group) const {
    std::vector<Process*> out;
    for (const auto& p : supervisor_.processes()) {
        if (!group.empty() && p->spec.group == group) {
            out.push_back(p.get());
        }
    }
    return out;
}

void GroupControl::checkNames(const ProcessSpec& spec) const {
    std::vector<GroupedName> table;
    for (const auto& p : supervisor_.processes()) {
        table.push_back({p->spec.uid, p->spec.group});
    }
    if (auto conflict = groupConflict(spec.uid, spec.group, table); !conflict.empty()) {
        throw sdbus::Error(dbus_errors::kInvalidArgument, conflict);
    }
}

void GroupControl::scale(
    const std::string& group, const std::string& count, StartNow startNow,
    sdbus::Result<std::vector<std::string>, std::vector<std::string>>&& result) {
    std::vector<Process*> members = membersOf(group);
    if (members.empty()) {
        throw sdbus::Error(dbus_errors::kNotFound, fmt::format("no group '{}'", group));
    }
    std::vector<unsigned> indices;
    const Process* model = members.front();  // new members copy the lowest-numbered one
    for (Process* p : members) {
        if (auto i = memberIndex(group, p->spec.uid)) {
            if (indices.empty() || *i < *std::min_element(indices.begin(), indices.end())) {
                model = p;
            }
            indices.push_back(*i);
        }
    }
    ScalePlan plan;
    try {
        plan = planScale(indices, count);
    } catch (const std::invalid_argument& e) {
        throw sdbus::Error(dbus_errors::kInvalidArgument, e.what());
    }
    std::vector<std::string> started;
    for (unsigned i : plan.add) {
        ProcessSpec spec = model->spec;
        spec.uid = memberUid(group, i);
        spec.env.set("FOREVER_INSTANCE", std::to_string(i));
        checkNames(spec);
        startNow(std::move(spec));  // a failure throws; the members started so far stay
        started.push_back(memberUid(group, i));
    }
    struct Pending {
        sdbus::Result<std::vector<std::string>, std::vector<std::string>> result;
        std::vector<std::string> started;
        std::vector<std::string> stopped;
        size_t left;
    };
    auto pending = std::make_shared<Pending>(
        Pending{std::move(result), std::move(started), {}, plan.stop.size()});
    if (plan.stop.empty()) {
        pending->result.returnResults(pending->started, pending->stopped);
        return;
    }
    for (unsigned i : plan.stop) {
        pending->stopped.push_back(memberUid(group, i));
    }
    for (unsigned i : plan.stop) {
        Process* p = supervisor_.findByUid(memberUid(group, i));
        auto settle = [pending] {
            if (--pending->left == 0) {
                pending->result.returnResults(pending->started, pending->stopped);
            }
        };
        if (p) {
            supervisor_.stop(*p, settle);
        } else {
            settle();
        }
    }
}

void GroupControl::startScheduled(ProcessSpec spec, StartNow startNow,
                                  sdbus::Result<sdbus::ObjectPath>&& result) {
    if (spec.uid.empty()) {
        spec.uid = supervisor_.generateUid();  // now: the timer is named after it
    }
    const std::string key = scheduleKey(spec);
    if (std::string current = timers_.calendarOf(key);
        !current.empty() && current != spec.restartAt && scheduleInUse(key, nullptr)) {
        throw sdbus::Error(
            dbus_errors::kInvalidArgument,
            fmt::format("'{}' already restarts at '{}'; a group has one schedule", key, current));
    }
    auto reply = std::make_shared<sdbus::Result<sdbus::ObjectPath>>(std::move(result));
    const std::string calendar = spec.restartAt;  // the callback below takes `spec`
    timers_.ensure(
        key, calendar,
        [this, reply, key, spec = std::move(spec),
         startNow = std::move(startNow)](const auto& failure) {
            // Runs from a D-Bus reply: nothing may escape.
            try {
                if (failure) {
                    reply->returnError(sdbus::Error(
                        failure->invalid ? dbus_errors::kInvalidArgument : dbus_errors::kFailed,
                        failure->message));
                    return;
                }
                try {
                    reply->returnResults(startNow(spec));
                } catch (...) {
                    if (!scheduleInUse(key, nullptr)) {
                        timers_.remove(key);
                    }
                    reply->returnError(dbus_errors::toDbusError(std::current_exception()));
                }
            } catch (...) {
                // Only a lost connection fails a reply; BusAttachment
                // reports that.
            }
        });
}

void GroupControl::onAdded(const Process& p) {
    if (p.spec.restartAt.empty()) {
        return;
    }
    const std::string key = scheduleKey(p.spec);
    if (timers_.calendarOf(key) == p.spec.restartAt) {
        return;  // made by its Start, or by another member
    }
    // A restored process: its timer may still be there from our previous
    // life (kept if unchanged) or must be made again.
    timers_.ensure(key, p.spec.restartAt, [this, key](const auto& failure) {
        if (failure) {
            journal_.daemonMessage(LOG_ERR, fmt::format("{}: its scheduled restarts are off: {}",
                                                        key, failure->message));
        }
    });
}

void GroupControl::onRemoved(const Process& p) {
    if (!p.spec.restartAt.empty() && !scheduleInUse(scheduleKey(p.spec), &p)) {
        timers_.remove(scheduleKey(p.spec));
    }
}

void GroupControl::scheduledRestart(const std::string& name) {
    std::vector<Process*> targets;
    for (const auto& p : supervisor_.processes()) {
        if (!p->spec.restartAt.empty() && scheduleKey(p->spec) == name) {
            targets.push_back(p.get());
        }
    }
    if (targets.empty()) {
        throw sdbus::Error(dbus_errors::kNotFound,
                           fmt::format("no process or group '{}' has a restartAt schedule", name));
    }
    const std::string why = fmt::format("scheduled (restartAt '{}')", targets[0]->spec.restartAt);
    for (Process* p : targets) {
        journal_.note(*p, "scheduled-restart", LOG_INFO,
                      fmt::format("{}: {} restart", p->spec.uid, why), "scheduled");
    }
    if (targets[0]->spec.group.empty()) {
        supervisor_.restart(*targets[0], [] {});
        return;
    }
    reloadGroup(name, 1, [this, name](const std::string& failure) {
        if (!failure.empty()) {
            journal_.daemonMessage(
                LOG_ERR,
                fmt::format("{}: the scheduled rolling reload stopped: {}", name, failure));
        }
    });
}

void GroupControl::reloadGroup(const std::string& group, unsigned parallel,
                               RollingReload::Done done) {
    std::vector<std::string> uids;
    for (Process* p : membersOf(group)) {
        uids.push_back(p->spec.uid);
    }
    if (uids.empty()) {
        throw sdbus::Error(dbus_errors::kNotFound, fmt::format("no group '{}'", group));
    }
    RollingReload::run(
        supervisor_, std::move(uids), parallel,
        [this, group](const std::string& uid, RollingReload::Step step, const std::string& detail) {
            announce_(group, uid, toString(step), detail);
        },
        std::move(done));
}

void GroupControl::reloadGroup(const std::string& group, unsigned parallel,
                               sdbus::Result<std::vector<std::string>>&& result) {
    std::vector<std::string> uids;
    for (Process* p : membersOf(group)) {
        uids.push_back(p->spec.uid);
    }
    auto reply = std::make_shared<sdbus::Result<std::vector<std::string>>>(std::move(result));
    reloadGroup(group, parallel, [reply, uids](const std::string& failure) {
        if (failure.empty()) {
            reply->returnResults(uids);
        } else {
            reply->returnError(sdbus::Error(dbus_errors::kSpawnFailed, failure));
        }
    });
}

}  // namespace forever
