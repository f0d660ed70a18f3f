#include "daemon/process_properties.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <stdexcept>

namespace forever {

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
                      static_cast<int32_t>(p.hasExited ? p.lastExit.code : -1),
                      static_cast<int32_t>(p.hasExited ? p.lastExit.signal : 0),
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
