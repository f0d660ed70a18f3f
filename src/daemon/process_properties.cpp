#include "daemon/process_properties.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <stdexcept>

namespace forever {

const ProcessFigures& figuresOf(const std::map<std::string, ProcessFigures>& figures,
                                const std::string& uid) {
    static const ProcessFigures kNone;
    auto it = figures.find(uid);
    return it == figures.end() ? kNone : it->second;
}

int32_t exitCodeOf(const Process& p) {
    return p.hasExited ? p.lastExit.code : -1;
}

int32_t exitSignalOf(const Process& p) {
    return p.hasExited ? p.lastExit.signal : 0;
}

ProcessRow processRow(const Process& p, size_t index, const ProcessFigures& figures) {
    const ProcessSpec& s = p.spec;
    return ProcessRow{sdbus::ObjectPath(processObjectPath(s.uid)),
                      static_cast<uint32_t>(index),
                      s.uid,
                      s.script,
                      s.command,
                      s.args,
                      s.workingDir,
                      static_cast<uint32_t>(p.run.pid),
                      std::string(toString(p.state)),
                      static_cast<uint32_t>(p.restarts),
                      static_cast<uint64_t>(p.run.startedAtUs),
                      exitCodeOf(p),
                      exitSignalOf(p),
                      s.logFile,
                      s.outFile,
                      s.errFile,
                      figures.rssBytes,
                      figures.cpuPercent,
                      figures.rssAverage,
                      figures.cpuAverage,
                      figures.samples,
                      s.maxMemory,
                      p.run.statusText,
                      p.run.ready,
                      static_cast<uint32_t>(p.recentCrashes),
                      p.reason};
}

}  // namespace forever
