#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include "process_adaptor.h"

namespace forever {

class Supervisor;
struct Process;
struct ProcessFigures;
class AccessPolicy;

// /org/forever/Forever1/process/<uid>: one supervised process on the bus.
class ProcessObject final
    : public sdbus::AdaptorInterfaces<org::forever::Forever1::Process_adaptor,
                                      sdbus::Properties_adaptor, sdbus::ManagedObject_adaptor> {
  public:
    ProcessObject(sdbus::IConnection& connection, Supervisor& supervisor, Process& process,
                  const ProcessFigures& figures, const AccessPolicy* access);
    ~ProcessObject();

    // Emits PropertiesChanged for what moves during a process's life.
    void announceChanges();

  private:
    void Stop(sdbus::Result<>&& result) override;
    void Restart(sdbus::Result<>&& result) override;
    void Reload(sdbus::Result<>&& result) override;
    void Kill(const int32_t& signal) override;
    std::vector<sdbus::Struct<uint64_t, uint64_t, double, uint64_t>> MetricsHistory() override;

    std::string Uid() override;
    uint32_t Index() override;
    std::string Script() override;
    std::string Command() override;
    std::vector<std::string> Args() override;
    std::string WorkingDirectory() override;
    uint32_t MainPID() override;
    std::string State() override;
    uint32_t Restarts() override;
    uint64_t StartedAt() override;
    int32_t ExitCode() override;
    int32_t ExitSignal() override;
    std::string LogFile() override;
    std::string OutFile() override;
    std::string ErrFile() override;
    uint64_t MemoryRSS() override;
    double CPUUsage() override;
    uint64_t MemoryRSSAverage() override;
    double CPUUsageAverage() override;
    uint32_t Samples() override;
    uint64_t MaxMemory() override;
    std::string StatusText() override;
    bool Ready() override;
    uint32_t RecentCrashes() override;
    std::string Reason() override;
    uint64_t CPUUsageNSec() override;

    Supervisor& supervisor_;
    Process& process_;
    const ProcessFigures& figures_;
    const AccessPolicy* access_;
    void checkAccess();
};

}  // namespace forever
