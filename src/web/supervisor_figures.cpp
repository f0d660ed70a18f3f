#include "web/supervisor_figures.hpp"

#include <unistd.h>

#include <sstream>

#include "core/proc_tree.hpp"

namespace forever::web {

namespace {
// /proc/stat's btime: boot, in seconds since the epoch.
std::optional<double> bootTime() {
    auto text = readProcFile("/proc/stat");
    if (!text) {
        return std::nullopt;
    }
    auto at = text->find("\nbtime ");
    if (at == std::string::npos) {
        return std::nullopt;
    }
    return std::stod(text->substr(at + 7));
}
}  // namespace

void readSupervisorFigures(pid_t pid, SupervisorFigures& out) {
    if (pid <= 0) {
        return;
    }
    auto st = readStat(pid);
    if (!st) {
        return;
    }
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    out.cpuSeconds = static_cast<double>(st->utimeTicks + st->stimeTicks) / hz;
    out.residentBytes = st->rssPages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    if (auto boot = bootTime()) {
        out.startTimeSeconds = *boot + static_cast<double>(st->startTimeTicks) / hz;
    }
}

}  // namespace forever::web
