#pragma once

#include <sdbus-c++/Types.h>
#include <map>
#include <string>
#include <vector>

#include "bus/object_path.hpp"
#include "core/metrics.hpp"
#include "core/process.hpp"

namespace forever {

// Live figures for one process, filled by the metrics sampler.
struct ProcessFigures {
    uint64_t rssBytes = 0;
    double cpuPercent = 0;
    uint64_t rssAverage = 0;
    double cpuAverage = 0;
    uint32_t samples = 0;
    uint64_t cpuNsec = 0;
    // The sampler's ring for this uid (it outlives the figures: both go
    // when the uid leaves the table); null until the first sample.
    const SampleRing* history = nullptr;
};

// `uid`'s figures; zeros when it was never sampled.
const ProcessFigures& figuresOf(const std::map<std::string, ProcessFigures>& figures,
                                const std::string& uid);

// Of the last exit, as the ExitCode and ExitSignal properties say it: its
// status (-1 when a signal ended it or it never exited) and its signal (0).
int32_t exitCodeOf(const Process& p);
int32_t exitSignalOf(const Process& p);

// One row of Manager.List(): the Process properties in the order
// dbus/org.forever.Forever1.Manager.xml gives them. Spelled out because the
// generated adaptor declares List() private; ForeverService::List()
// overriding it makes the compiler check the two agree.
using ProcessRow =
    sdbus::Struct<sdbus::ObjectPath, uint32_t, std::string, std::string, std::string,
                  std::vector<std::string>, std::string, uint32_t, std::string, uint32_t, uint64_t,
                  int32_t, int32_t, std::string, std::string, std::string, uint64_t, double,
                  uint64_t, double, uint32_t, uint64_t, std::string, bool, uint32_t, std::string>;

ProcessRow processRow(const Process& p, size_t index, const ProcessFigures& figures);

}  // namespace forever
