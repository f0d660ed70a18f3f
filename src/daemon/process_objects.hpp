#pragma once

#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/event_loop.hpp"

#include "process_fallback.h"

namespace forever {

class Supervisor;
struct Process;
struct ProcessFigures;
class AccessPolicy;

// /org/forever/Forever1/process/<uid>: every supervised process on the bus,
// served by one sd-bus fallback vtable (generated from the Process XML):
// a process object costs no registration, it is found by its path when
// called. InterfacesAdded/Removed and PropertiesChanged are emitted here.
class ProcessObjects final : public org::forever::Forever1::Process_fallback<Process> {
  public:
    ProcessObjects(sd_bus* bus, EventLoop& loop, Supervisor& supervisor,
                   const std::map<std::string, ProcessFigures>& figures);
    ~ProcessObjects() override;

    // Who may control which process (system mode); unset: everyone.
    void setAccessPolicy(const AccessPolicy* access) { access_ = access; }
    // Messages sd-bus holds because the bus daemon has not read them yet.
    uint64_t queuedWrites() const;

    void added(const Process& process);
    void removed(const Process& process);
    // PropertiesChanged for what moves during a process's life, once per
    // process at the end of the loop's dispatch, with the values then: a
    // stop's exit and removal, or a restart's exit and new run, announce
    // once, or not at all when the object is gone by then (nor once the
    // loop is exiting: foreverd is leaving, its name going away says more).
    void changed(const Process& process);

  private:
    Process* find(const char* path) override;
    std::vector<std::string> objectPaths() override;

    void Stop(Process& p, const bus::Call& call, bus::PendingReply reply) override;
    void Restart(Process& p, const bus::Call& call, bus::PendingReply reply) override;
    void Reload(Process& p, const bus::Call& call, bus::PendingReply reply) override;
    void Kill(Process& p, const bus::Call& call, int32_t signal) override;
    std::vector<std::tuple<uint64_t, uint64_t, double, uint64_t>> MetricsHistory(
        Process& p, const bus::Call& call) override;

    std::string Uid(Process& p) override;
    uint32_t Index(Process& p) override;
    std::string Script(Process& p) override;
    std::string Command(Process& p) override;
    std::vector<std::string> Args(Process& p) override;
    std::string WorkingDirectory(Process& p) override;
    uint32_t MainPID(Process& p) override;
    std::string State(Process& p) override;
    uint32_t Restarts(Process& p) override;
    uint64_t StartedAt(Process& p) override;
    int32_t ExitCode(Process& p) override;
    int32_t ExitSignal(Process& p) override;
    std::string LogFile(Process& p) override;
    std::string OutFile(Process& p) override;
    std::string ErrFile(Process& p) override;
    uint64_t MemoryRSS(Process& p) override;
    double CPUUsage(Process& p) override;
    uint64_t MemoryRSSAverage(Process& p) override;
    double CPUUsageAverage(Process& p) override;
    uint32_t Samples(Process& p) override;
    uint64_t MaxMemory(Process& p) override;
    std::string StatusText(Process& p) override;
    bool Ready(Process& p) override;
    uint32_t RecentCrashes(Process& p) override;
    std::string Reason(Process& p) override;
    uint64_t CPUUsageNSec(Process& p) override;

    void announceChanges(const Process& process);
    void announcePending();
    const ProcessFigures& figuresOf(const Process& p) const;
    void checkAccess(const bus::Call& call, const Process& p) const;

    sd_bus* bus_;
    Supervisor& supervisor_;
    const std::map<std::string, ProcessFigures>& figures_;
    const AccessPolicy* access_ = nullptr;
    EventLoop& loop_;
    // Changed since the last announcement, in order; `pendingSet_` says
    // which are still to announce (a removed one leaves it: never read).
    std::vector<const Process*> pending_;
    std::unordered_set<const Process*> pendingSet_;
    EventLoop::HandlePtr flush_;
};

}  // namespace forever
