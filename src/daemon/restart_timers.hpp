#pragma once
// restartAt as transient systemd timers. For each app (or group) with a
// calendar, foreverd asks the service manager on its bus (the user manager,
// or PID 1 with --system) for a transient "forever-restart-NAME.timer" with
// OnCalendar=, plus a oneshot "forever-restart-NAME.service" that calls
// Manager.ScheduledRestart(NAME) back with busctl: a timer cannot restart
// an already running unit itself (systemd.timer(5)). systemd parses the
// calendar, so its syntax and its error messages are systemd's own, and
// `systemctl --user list-timers` shows the schedule.
//
// Every call is asynchronous: the loop never waits on the manager.
#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace forever {

class RestartTimers {
  public:
    // Why a timer could not be made. `invalid`: systemd refused the
    // calendar (message is systemd's); otherwise no manager or a bus error.
    struct Failure {
        bool invalid = false;
        std::string message;
    };
    using Done = std::function<void(const std::optional<Failure>&)>;
    using Log = std::function<void(int priority, const std::string& message)>;

    RestartTimers(sdbus::IConnection& connection, bool systemMode, Log log);
    ~RestartTimers();
    RestartTimers(const RestartTimers&) = delete;
    RestartTimers& operator=(const RestartTimers&) = delete;

    // Makes sure NAME is restarted at `calendar`; `done` runs once systemd
    // answered (at once if the timer is already there). A timer left by a
    // previous foreverd with the same calendar is kept.
    void ensure(const std::string& name, const std::string& calendar, Done done);
    // Stops (and so unloads) NAME's timer, if any.
    void remove(const std::string& name);
    // The calendar NAME's timer has or is being given; empty when none.
    std::string calendarOf(const std::string& name) const;

  private:
    enum class State { Creating, Active, Unwanted };
    struct Timer {
        std::string calendar;
        State state = State::Creating;
        std::vector<Done> waiters;
        unsigned attempts = 0;
    };

    void create(const std::string& name);
    void onCreated(const std::string& name, const sdbus::Error* error);
    // A unit of that name exists (left by a previous foreverd): adopt it
    // when its description says the same calendar, else stop it and retry.
    void adoptOrReplace(const std::string& name);
    void settle(const std::string& name, const std::optional<Failure>& failure);
    void stopUnit(const std::string& unit);
    std::string description(const std::string& name, const std::string& calendar) const;

    sdbus::IConnection& connection_;
    bool systemMode_;
    Log log_;
    std::string busctl_;
    std::string busAddress_;  // passed to the oneshot so busctl reaches this bus
    std::unique_ptr<sdbus::IProxy> manager_;
    std::map<std::string, Timer> timers_;
};

}  // namespace forever
