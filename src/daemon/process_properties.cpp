#include "daemon/process_properties.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <stdexcept>

namespace forever {

std::string processObjectPath(const std::string& uid) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/forever/Forever1/process", uid.c_str(), &path) < 0) {
        throw std::bad_alloc();
    }
    std::string out(path);
    std::free(path);
    return out;
}

std::map<std::string, sdbus::Variant> processProperties(const Process& p, size_t index,
                                                        const ProcessFigures& figures) {
    const ProcessSpec& s = p.spec;
    return {
        {"Path", sdbus::Variant(sdbus::ObjectPath(processObjectPath(s.uid)))},
        {"Uid", sdbus::Variant(s.uid)},
        {"Index", sdbus::Variant(static_cast<uint32_t>(index))},
        {"Script", sdbus::Variant(s.script)},
        {"Command", sdbus::Variant(s.command)},
        {"Args", sdbus::Variant(s.args)},
        {"WorkingDirectory", sdbus::Variant(s.workingDir)},
        {"MainPID", sdbus::Variant(static_cast<uint32_t>(p.pid))},
        {"State", sdbus::Variant(toString(p.state))},
        {"Restarts", sdbus::Variant(static_cast<uint32_t>(p.restarts))},
        {"StartedAt", sdbus::Variant(static_cast<uint64_t>(p.startedAtUs))},
        {"ExitCode", sdbus::Variant(static_cast<int32_t>(p.hasExited ? p.lastExit.code : -1))},
        {"ExitSignal", sdbus::Variant(static_cast<int32_t>(p.hasExited ? p.lastExit.signal : 0))},
        {"LogFile", sdbus::Variant(s.logFile)},
        {"OutFile", sdbus::Variant(s.outFile)},
        {"ErrFile", sdbus::Variant(s.errFile)},
        {"MemoryRSS", sdbus::Variant(figures.rssBytes)},
        {"CPUUsage", sdbus::Variant(figures.cpuPercent)},
        {"MemoryRSSAverage", sdbus::Variant(figures.rssAverage)},
        {"CPUUsageAverage", sdbus::Variant(figures.cpuAverage)},
        {"Samples", sdbus::Variant(figures.samples)},
        {"MaxMemory", sdbus::Variant(s.maxMemory)},
        {"StatusText", sdbus::Variant(p.statusText)},
        {"Ready", sdbus::Variant(p.ready)},
        {"RecentCrashes", sdbus::Variant(static_cast<uint32_t>(p.recentCrashes))},
        {"Reason", sdbus::Variant(p.reason)},
    };
}

}  // namespace forever
