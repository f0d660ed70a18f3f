#include "daemon/restart_timers.hpp"

#include <fmt/format.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>

#include "core/systemd_names.hpp"

namespace forever {

namespace {
constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
// Retries of create-after-stop when a stale unit of the same name is in the
// way; each is one round trip, the manager unloads a stopped timer at once.
constexpr unsigned kMaxAttempts = 20;

using Property = sdbus::Struct<std::string, sdbus::Variant>;
using Properties = std::vector<Property>;
using AuxUnits = std::vector<sdbus::Struct<std::string, Properties>>;
using ExecCommand = sdbus::Struct<std::string, std::vector<std::string>, bool>;
// ListUnitsByNames: name, description, load, active, sub, following, path,
// job id, job type, job path.
using UnitRow =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, std::string,
                  sdbus::ObjectPath, uint32_t, std::string, sdbus::ObjectPath>;

std::string findBusctl() {
    for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
        std::string path = std::string(dir) + "/busctl";
        if (::access(path.c_str(), X_OK) == 0) {
            return path;
        }
    }
    return "/usr/bin/busctl";
}

// No manager owns the name. A session bus may also try to activate it:
// dbus ships a stub org.freedesktop.systemd1.service that exits 1, so that
// activation fails (Spawn.ChildExited) rather than hangs.
bool isNoManager(const std::string& errorName) {
    return errorName == "org.freedesktop.DBus.Error.ServiceUnknown" ||
           errorName == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
           errorName.rfind("org.freedesktop.DBus.Error.Spawn.", 0) == 0;
}
}  // namespace

RestartTimers::RestartTimers(sdbus::IConnection& connection, bool systemMode, Log log)
    : connection_(connection),
      systemMode_(systemMode),
      log_(std::move(log)),
      busctl_(findBusctl()),
      manager_(sdbus::createProxy(connection, kSystemd, "/org/freedesktop/systemd1")) {
    if (const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS"); address && !systemMode) {
        busAddress_ = address;
    }
}

// The proxy goes first: its pending calls are cancelled, so no reply
// reaches a destroyed RestartTimers.
RestartTimers::~RestartTimers() {
    manager_.reset();
}

std::string RestartTimers::description(const std::string& name, const std::string& calendar) const {
    return fmt::format("forever: restart {} at '{}'", name, calendar);
}

std::string RestartTimers::calendarOf(const std::string& name) const {
    auto it = timers_.find(name);
    return it == timers_.end() || it->second.state == State::Unwanted ? "" : it->second.calendar;
}

void RestartTimers::ensure(const std::string& name, const std::string& calendar, Done done) {
    auto it = timers_.find(name);
    if (it != timers_.end() && it->second.calendar == calendar &&
        it->second.state != State::Unwanted) {
        if (it->second.state == State::Active) {
            done(std::nullopt);
        } else {
            it->second.waiters.push_back(std::move(done));
        }
        return;
    }
    if (it != timers_.end() && it->second.state == State::Creating) {
        done(Failure{false, fmt::format("'{}' is already being given the schedule '{}'", name,
                                        it->second.calendar)});
        return;
    }
    bool existed = it != timers_.end();
    Timer& timer = timers_[name];
    timer = Timer{calendar, State::Creating, {std::move(done)}, 0};
    if (existed) {
        // Another calendar (or one being removed): replace the unit.
        stopUnit(restartUnitBase(name) + ".timer");
    }
    create(name);
}

void RestartTimers::create(const std::string& name) {
    Timer& timer = timers_.at(name);
    ++timer.attempts;
    const std::string base = restartUnitBase(name);
    const std::string text = description(name, timer.calendar);
    Properties timerProperties{
        {"Description", sdbus::Variant(text)},
        {"OnCalendar", sdbus::Variant(timer.calendar)},
        // The default accuracy is a minute: a "*:0/5" schedule would drift.
        {"AccuracyUSec", sdbus::Variant(uint64_t{1'000'000})},
    };
    std::vector<std::string> argv{"busctl",
                                  systemMode_ ? "--system" : "--user",
                                  "--auto-start=no",  // a stopped foreverd stays stopped
                                  "call",
                                  "org.forever.Forever1",
                                  "/org/forever/Forever1",
                                  "org.forever.Forever1.Manager",
                                  "ScheduledRestart",
                                  "s",
                                  name};
    Properties serviceProperties{
        {"Description", sdbus::Variant(text)},
        {"Type", sdbus::Variant(std::string("oneshot"))},
        {"ExecStart", sdbus::Variant(std::vector<ExecCommand>{{busctl_, argv, false}})},
    };
    if (!busAddress_.empty()) {
        serviceProperties.push_back(
            {"Environment",
             sdbus::Variant(std::vector<std::string>{"DBUS_SESSION_BUS_ADDRESS=" + busAddress_})});
    }
    AuxUnits aux{{base + ".service", serviceProperties}};
    manager_->callMethodAsync("StartTransientUnit")
        .onInterface(kManager)
        .withArguments(base + ".timer", std::string("fail"), timerProperties, aux)
        .uponReplyInvoke(
            [this, name](const sdbus::Error* error, sdbus::ObjectPath) { onCreated(name, error); });
}

void RestartTimers::onCreated(const std::string& name, const sdbus::Error* error) {
    auto it = timers_.find(name);
    if (it == timers_.end()) {
        return;
    }
    Timer& timer = it->second;
    if (timer.state == State::Unwanted) {
        // Removed while systemd was creating it.
        if (!error) {
            stopUnit(restartUnitBase(name) + ".timer");
        }
        timers_.erase(it);
        return;
    }
    if (!error) {
        settle(name, std::nullopt);
        return;
    }
    if (error->getName() == "org.freedesktop.systemd1.UnitExists" &&
        timer.attempts < kMaxAttempts) {
        adoptOrReplace(name);
        return;
    }
    Failure failure;
    failure.invalid = error->getName() == "org.freedesktop.DBus.Error.InvalidArgs";
    if (isNoManager(error->getName())) {
        failure.message = fmt::format(
            "restartAt needs a systemd service manager on the {} bus, and there is none "
            "(foreverd runs without one, e.g. in the foreground): {}",
            systemMode_ ? "system" : "session", error->getMessage());
    } else if (failure.invalid) {
        failure.message = fmt::format("restartAt '{}': {}", timer.calendar, error->getMessage());
    } else {
        failure.message =
            fmt::format("cannot create the systemd timer for '{}': {}", name, error->getMessage());
    }
    settle(name, failure);
}

void RestartTimers::adoptOrReplace(const std::string& name) {
    const std::string unit = restartUnitBase(name) + ".timer";
    manager_->callMethodAsync("ListUnitsByNames")
        .onInterface(kManager)
        .withArguments(std::vector<std::string>{unit})
        .uponReplyInvoke([this, name, unit](const sdbus::Error* error, std::vector<UnitRow> rows) {
            auto it = timers_.find(name);
            if (it == timers_.end()) {
                return;
            }
            const bool same = !error && rows.size() == 1 &&
                              rows[0].get<1>() == description(name, it->second.calendar) &&
                              rows[0].get<3>() == "active";
            if (same && it->second.state == State::Creating) {
                settle(name, std::nullopt);
                return;
            }
            if (it->second.state == State::Unwanted) {
                timers_.erase(it);
                stopUnit(unit);
                return;
            }
            stopUnit(unit);
            create(name);
        });
}

void RestartTimers::settle(const std::string& name, const std::optional<Failure>& failure) {
    auto it = timers_.find(name);
    auto waiters = std::move(it->second.waiters);
    if (failure) {
        timers_.erase(it);
    } else {
        it->second.state = State::Active;
        it->second.waiters.clear();
    }
    for (auto& done : waiters) {
        done(failure);
    }
}

void RestartTimers::remove(const std::string& name) {
    auto it = timers_.find(name);
    if (it == timers_.end()) {
        return;
    }
    if (it->second.state == State::Creating) {
        // Its reply decides: the unit is stopped if systemd made it.
        auto waiters = std::move(it->second.waiters);
        it->second.state = State::Unwanted;
        it->second.waiters.clear();
        for (auto& done : waiters) {
            done(Failure{false, fmt::format("'{}' was removed", name)});
        }
        return;
    }
    timers_.erase(it);
    stopUnit(restartUnitBase(name) + ".timer");
}

void RestartTimers::stopUnit(const std::string& unit) {
    manager_->callMethodAsync("StopUnit")
        .onInterface(kManager)
        .withArguments(unit, std::string("replace"))
        .uponReplyInvoke([this, unit](const sdbus::Error* error, sdbus::ObjectPath) {
            if (error && error->getName() != "org.freedesktop.systemd1.NoSuchUnit") {
                log_(LOG_WARNING, fmt::format("cannot stop the systemd timer {}: {}", unit,
                                              error->getMessage()));
            }
        });
}

}  // namespace forever
