#pragma once
// The /metrics exposition: Prometheus text 0.0.4, or OpenMetrics 1.0 when
// the scraper asks for it. Pure: the figures come in, text goes out.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/process_view.hpp"

namespace forever::web {

struct SupervisorFigures {
    bool up = false;  // foreverd answered
    std::string version;
    std::optional<double> cpuSeconds;        // of foreverd itself, when readable
    std::optional<uint64_t> residentBytes;   // idem
    std::optional<double> startTimeSeconds;  // idem, since the epoch
};

struct MetricsInput {
    std::vector<cli::ProcessView> processes;
    std::map<std::string, uint64_t> cpuNsec;  // by uid (Process.CPUUsageNSec)
    SupervisorFigures supervisor;
};

std::string renderMetrics(const MetricsInput& input, bool openMetrics);

// application/openmetrics-text when `accept` names it, else text/plain 0.0.4.
bool wantsOpenMetrics(const std::string& accept);
const char* metricsContentType(bool openMetrics);

// A label value escaped for the exposition (\\, \", \n).
std::string escapeLabel(const std::string& value);

}  // namespace forever::web
