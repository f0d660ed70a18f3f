#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/supervisor.hpp"
#include "daemon/access_policy.hpp"
#include "daemon/group_control.hpp"
#include "daemon/journal_events.hpp"
#include "daemon/process_columns.hpp"
#include "daemon/process_objects.hpp"
#include "daemon/process_properties.hpp"
#include "daemon/state_saver.hpp"
#include "manager_adaptor.h"

namespace forever {

// /org/forever/Forever1: the Manager interface and the ObjectManager root.
// Turns bus calls into Supervisor calls and Supervisor events into signals,
// PropertiesChanged and journal entries. Owns the process objects' fallback.
class ForeverService final
    : public sdbus::AdaptorInterfaces<org::forever::Forever1::Manager_adaptor,
                                      sdbus::ObjectManager_adaptor, sdbus::Properties_adaptor> {
  public:
    ForeverService(sdbus::IConnection& connection, EventLoop& loop, Supervisor& supervisor,
                   JournalEvents& journal, std::map<std::string, std::string> defaultEnv);
    ~ForeverService();

    // Hooked to the Supervisor's listener.
    void onEvent(const SupervisorEvent& event);
    // Spec keys (e.g. logMaxBytes) for Start() calls that leave them out.
    void setSpecDefaults(nlohmann::json defaults) { specDefaults_ = std::move(defaults); }
    // Who may control which process (system mode); unset: everyone.
    void setAccessPolicy(const AccessPolicy* access) {
        access_ = access;
        processObjects_->setAccessPolicy(access);
    }
    // Start and StartMany reply once their records are saved by `saver`
    // (unset: at once).
    void setStateSaver(StateSaver* saver) { saver_ = saver; }
    // Figures from the metrics sampler, by uid.
    ProcessFigures& figuresFor(const std::string& uid) { return figures_[uid]; }
    // Messages not yet read by the bus daemon (the signals of a burst).
    uint64_t queuedWrites() const { return processObjects_->queuedWrites(); }
    // Manager.MetricsSampled: the figures of every process just changed.
    void announceMetrics();

  private:
    // The D-Bus side of an event: objects and signals.
    void publish(const SupervisorEvent& e);
    // start_calls.cpp
    void Start(sdbus::Result<sdbus::ObjectPath>&& result,
               std::map<std::string, sdbus::Variant> spec) override;
    void StartMany(
        sdbus::Result<std::vector<sdbus::Struct<sdbus::ObjectPath, std::string>>>&& result,
        std::vector<std::map<std::string, sdbus::Variant>> specs,
        std::map<std::string, std::string> environment) override;
    // A caller's spec with the daemon's defaults and the access policy's
    // say, validated as start() would; `shared` is under its env.
    ProcessSpec preparedSpec(const std::map<std::string, sdbus::Variant>& spec,
                             const SharedEnvironment* shared = nullptr);
    // Runs `reply` once what was changed so far is on disk.
    void replyWhenSaved(std::function<void()> reply);
    void ReloadGroup(sdbus::Result<std::vector<std::string>>&& result, std::string group,
                     uint32_t parallel) override;
    void ScheduledRestart(const std::string& name) override;
    void Scale(sdbus::Result<std::vector<std::string>, std::vector<std::string>>&& result,
               std::string group, std::string count) override;
    void Stop(sdbus::Result<std::vector<std::string>>&& result, std::string target) override;
    void Restart(sdbus::Result<std::vector<std::string>>&& result, std::string target) override;
    void StopAll(sdbus::Result<std::vector<std::string>>&& result) override;
    void RestartAll(sdbus::Result<std::vector<std::string>>&& result) override;
    void Reload(sdbus::Result<std::vector<std::string>>&& result, std::string target) override;
    void StopByPid(sdbus::Result<std::string>&& result, uint32_t pid) override;
    std::vector<ProcessRow> List() override;
    std::vector<sdbus::Struct<ProcessRow, std::string>> ListV2() override;
    ProcessColumns ListColumns(const std::vector<std::string>& names) override;
    std::map<std::string, uint64_t> ListCPUUsageNSec() override;
    std::vector<sdbus::ObjectPath> Find(const std::string& target) override;
    sdbus::ObjectPath GetProcess(const std::string& target) override;
    std::vector<std::string> CleanLogs() override;
    std::string Version() override;
    uint32_t ProcessCount() override;
    uint32_t RunningCount() override;

    std::vector<Process*> resolveOrThrow(const std::string& target);
    // Starts a validated spec; its object path.
    sdbus::ObjectPath startProcess(ProcessSpec spec);
    // Made on first use: the access policy (system mode) is set by then.
    GroupControl& groups();
    using Action = void (Supervisor::*)(Process&, Supervisor::Done);
    // Applies `action` to every process, replying with their uids once all
    // callbacks have run.
    void applyToAll(const std::vector<Process*>& processes, Action action,
                    sdbus::Result<std::vector<std::string>>&& result);

    Supervisor& supervisor_;
    JournalEvents& journal_;
    std::map<std::string, std::string> defaultEnv_;
    std::map<std::string, ProcessFigures> figures_;
    std::unique_ptr<ProcessObjects> processObjects_;
    nlohmann::json specDefaults_ = nlohmann::json::object();
    const AccessPolicy* access_ = nullptr;
    StateSaver* saver_ = nullptr;
    std::unique_ptr<GroupControl> groups_;
    // The processes of `all` the caller may control; with `strict`, any
    // other one is an AccessDenied error instead of being left out.
    std::vector<Process*> controllable(const std::vector<Process*>& all, bool strict);
};

}  // namespace forever
