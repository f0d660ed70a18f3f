#pragma once

#include <sdbus-c++/Types.h>
#include <map>
#include <string>

#include "core/process.hpp"

namespace forever {

// The object path of a process: /org/forever/Forever1/process/<escaped uid>.
std::string processObjectPath(const std::string& uid);

// Live figures for one process, filled by the metrics sampler.
struct ProcessFigures {
    uint64_t rssBytes = 0;
    double cpuPercent = 0;
    uint64_t rssAverage = 0;
    double cpuAverage = 0;
    uint32_t samples = 0;
};

// Every org.forever.Forever1.Process property of `p`, by name: what List()
// returns per process and what the Process object's getters read.
std::map<std::string, sdbus::Variant> processProperties(const Process& p, size_t index,
                                                        const ProcessFigures& figures);

}  // namespace forever
