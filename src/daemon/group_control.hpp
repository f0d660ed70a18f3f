#pragma once
// What the Manager does for groups and schedules, beside the per-process
// verbs of ForeverService: Starts whose restartAt must first be accepted by
// systemd, the timers' life (made at start or restore, stopped when the
// last process using one goes), the scheduled restarts themselves, and
// rolling reloads of a group.
#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/process.hpp"
#include "daemon/restart_timers.hpp"
#include "daemon/rolling_reload.hpp"

namespace forever {

class Supervisor;
class JournalEvents;

class GroupControl {
  public:
    // Starts the process and returns its object path (throws on failure).
    using StartNow = std::function<sdbus::ObjectPath(ProcessSpec)>;
    // Announces a roll's step on the bus: group, member, step, detail.
    using Announce = std::function<void(const std::string& group, const std::string& uid,
                                        const std::string& step, const std::string& detail)>;

    GroupControl(sdbus::IConnection& connection, bool systemMode, Supervisor& supervisor,
                 JournalEvents& journal, Announce announce);

    // A Start with restartAt: the timer first, since systemd is what
    // validates the calendar; its refusal refuses the Start, and a Start
    // that fails afterwards takes the timer back.
    void startScheduled(ProcessSpec spec, StartNow startNow,
                        sdbus::Result<sdbus::ObjectPath>&& result);
    // Hooked to Added/Removed: restored processes get their timer again, and
    // a timer goes with the last process that used it.
    void onAdded(const Process& process);
    void onRemoved(const Process& process);

    // Manager.ScheduledRestart: NAME is an app (restarted) or a group
    // (rolled, one member at a time).
    void scheduledRestart(const std::string& name);
    // Rolls a reload over the group's members in index order.
    void reloadGroup(const std::string& group, unsigned parallel, RollingReload::Done done);
    // Manager.ReloadGroup: replies with the members once each took its new
    // run, else Error.SpawnFailed "UID: why".
    void reloadGroup(const std::string& group, unsigned parallel,
                     sdbus::Result<std::vector<std::string>>&& result);

    // Refuses (Error.InvalidArgument) a new process whose uid or group
    // would make a TARGET mean two things (core/group.hpp).
    void checkNames(const ProcessSpec& spec) const;
    // Manager.Scale: replies with the uids started and stopped.
    void scale(const std::string& group, const std::string& count, StartNow startNow,
               sdbus::Result<std::vector<std::string>, std::vector<std::string>>&& result);

    // The processes whose group is `group`, in table order.
    std::vector<Process*> membersOf(const std::string& group) const;

  private:
    // What a timer is named after: the group, else the uid.
    static const std::string& scheduleKey(const ProcessSpec& spec);
    // Whether a process other than `except` still uses the timer `key`.
    bool scheduleInUse(const std::string& key, const Process* except) const;

    Supervisor& supervisor_;
    JournalEvents& journal_;
    Announce announce_;
    RestartTimers timers_;
};

}  // namespace forever
