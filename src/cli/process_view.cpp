#include "cli/process_view.hpp"

#include <time.h>

#include <nlohmann/json.hpp>

#include "core/exit_status.hpp"

namespace forever::cli {

int64_t realtimeNowUs() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

int64_t ProcessView::uptimeMs(int64_t nowUs) const {
    if (pid == 0 || startedAtUs == 0 || nowUs < static_cast<int64_t>(startedAtUs)) {
        return 0;
    }
    return (nowUs - static_cast<int64_t>(startedAtUs)) / 1000;
}

ProcessView decodeProcess(const Properties& props) {
    ProcessView v;
    v.path = property<sdbus::ObjectPath>(props, "Path");
    v.index = property<uint32_t>(props, "Index");
    v.uid = property<std::string>(props, "Uid");
    v.script = property<std::string>(props, "Script");
    v.command = property<std::string>(props, "Command");
    v.args = property<std::vector<std::string>>(props, "Args");
    v.workingDirectory = property<std::string>(props, "WorkingDirectory");
    v.pid = property<uint32_t>(props, "MainPID");
    v.state = property<std::string>(props, "State");
    v.restarts = property<uint32_t>(props, "Restarts");
    v.startedAtUs = property<uint64_t>(props, "StartedAt");
    v.exitCode = property<int32_t>(props, "ExitCode", -1);
    v.exitSignal = property<int32_t>(props, "ExitSignal");
    v.logFile = property<std::string>(props, "LogFile");
    v.outFile = property<std::string>(props, "OutFile");
    v.errFile = property<std::string>(props, "ErrFile");
    v.memory = property<uint64_t>(props, "MemoryRSS");
    v.cpu = property<double>(props, "CPUUsage");
    v.memoryAverage = property<uint64_t>(props, "MemoryRSSAverage");
    v.cpuAverage = property<double>(props, "CPUUsageAverage");
    v.samples = property<uint32_t>(props, "Samples");
    v.maxMemory = property<uint64_t>(props, "MaxMemory");
    v.statusText = property<std::string>(props, "StatusText");
    v.ready = property<bool>(props, "Ready");
    v.recentCrashes = property<uint32_t>(props, "RecentCrashes");
    v.reason = property<std::string>(props, "Reason");
    return v;
}

std::vector<ProcessView> listProcesses(BusClient& client) {
    auto rows = client.call([](ManagerProxy& m) { return m.List(); });
    std::vector<ProcessView> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(decodeProcess(row));
    }
    return out;
}

nlohmann::json toJson(const ProcessView& p, int64_t nowUs) {
    using nlohmann::json;
    json j{
        {"index", p.index},
        {"uid", p.uid},
        {"command", p.command},
        {"script", p.script},
        {"args", p.args},
        {"workingDir", p.workingDirectory},
        {"pid", p.pid},
        {"state", p.state},
        {"restarts", p.restarts},
        {"uptime", p.uptimeMs(nowUs)},
        {"startedAt", p.startedAtUs / 1000},
        {"recentCrashes", p.recentCrashes},
        {"reason", p.reason},
        {"logFile", p.logFile},
        {"outFile", p.outFile},
        {"errFile", p.errFile},
        {"memory", p.memory},
        {"cpu", p.cpu},
        {"memoryAverage", p.memoryAverage},
        {"cpuAverage", p.cpuAverage},
        {"samples", p.samples},
        {"maxMemory", p.maxMemory},
        {"statusText", p.statusText},
        {"ready", p.ready},
    };
    // A signal death has no exit code (and the reverse): null, never 0.
    j["exitCode"] = p.exitCode >= 0 ? json(p.exitCode) : json(nullptr);
    j["exitSignal"] = p.exitSignal ? json(signalName(p.exitSignal)) : json(nullptr);
    return j;
}

}  // namespace forever::cli
