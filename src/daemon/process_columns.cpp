#include "daemon/process_columns.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <string_view>

namespace forever {

namespace {

// The names in the order of ProcessColumns' members.
constexpr std::array<std::string_view, 21> kNames{
    "Path",    "Uid",       "Script",    "Command",  "Args",       "WorkingDirectory", "MainPID",
    "State",   "Restarts",  "StartedAt", "ExitCode", "ExitSignal", "LogFile",          "OutFile",
    "ErrFile", "MemoryRSS", "CPUUsage",  "Samples",  "StatusText", "RecentCrashes",    "Group"};

// The place of a name in kNames (a compile error if it is not there).
consteval size_t col(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) {
            return i;
        }
    }
    throw "not a column";
}

// Fills column I of `out`, if it was asked for, with field(i) of every
// row i: a pass per column keeps each loop to the one field it copies.
template <size_t I, typename Field>
void fill(ProcessColumns& out, const std::array<bool, kNames.size()>& wanted, size_t rows,
          Field&& field) {
    if (!wanted[I]) {
        return;
    }
    auto& column = std::get<I>(out);
    column.reserve(rows);
    for (size_t i = 0; i < rows; ++i) {
        column.push_back(field(i));
    }
}

}  // namespace

ProcessColumns processColumns(const std::vector<std::unique_ptr<Process>>& table,
                              const std::vector<std::string>& names,
                              const std::map<std::string, ProcessFigures>& figures) {
    std::array<bool, kNames.size()> wanted{};
    for (const auto& name : names) {
        size_t i = 0;
        while (i < kNames.size() && kNames[i] != name) {
            ++i;
        }
        if (i == kNames.size()) {
            throw std::invalid_argument(fmt::format("unknown column '{}'", name));
        }
        wanted[i] = true;
    }
    // One lookup per process, and only when a figure is asked for.
    std::vector<const ProcessFigures*> figuresOf;
    if (wanted[col("MemoryRSS")] || wanted[col("CPUUsage")] || wanted[col("Samples")]) {
        figuresOf.reserve(table.size());
        for (const auto& p : table) {
            figuresOf.push_back(&forever::figuresOf(figures, p->spec.uid));
        }
    }
    const size_t n = table.size();
    auto spec = [&](size_t i) -> const ProcessSpec& { return table[i]->spec; };
    auto proc = [&](size_t i) -> const Process& { return *table[i]; };
    ProcessColumns out;
    fill<col("Path")>(out, wanted, n,
                      [&](size_t i) { return sdbus::ObjectPath(processObjectPath(spec(i).uid)); });
    fill<col("Uid")>(out, wanted, n, [&](size_t i) { return spec(i).uid; });
    fill<col("Script")>(out, wanted, n, [&](size_t i) { return spec(i).script; });
    fill<col("Command")>(out, wanted, n, [&](size_t i) { return spec(i).command; });
    fill<col("Args")>(out, wanted, n, [&](size_t i) { return spec(i).args; });
    fill<col("WorkingDirectory")>(out, wanted, n, [&](size_t i) { return spec(i).workingDir; });
    fill<col("MainPID")>(out, wanted, n,
                         [&](size_t i) { return static_cast<uint32_t>(proc(i).run.pid); });
    fill<col("State")>(out, wanted, n, [&](size_t i) { return toString(proc(i).state); });
    fill<col("Restarts")>(out, wanted, n,
                          [&](size_t i) { return static_cast<uint32_t>(proc(i).restarts); });
    fill<col("StartedAt")>(
        out, wanted, n, [&](size_t i) { return static_cast<uint64_t>(proc(i).run.startedAtUs); });
    fill<col("ExitCode")>(out, wanted, n, [&](size_t i) { return exitCodeOf(proc(i)); });
    fill<col("ExitSignal")>(out, wanted, n, [&](size_t i) { return exitSignalOf(proc(i)); });
    fill<col("LogFile")>(out, wanted, n, [&](size_t i) { return spec(i).logFile; });
    fill<col("OutFile")>(out, wanted, n, [&](size_t i) { return spec(i).outFile; });
    fill<col("ErrFile")>(out, wanted, n, [&](size_t i) { return spec(i).errFile; });
    fill<col("MemoryRSS")>(out, wanted, n, [&](size_t i) { return figuresOf[i]->rssBytes; });
    fill<col("CPUUsage")>(out, wanted, n, [&](size_t i) { return figuresOf[i]->cpuPercent; });
    fill<col("Samples")>(out, wanted, n, [&](size_t i) { return figuresOf[i]->samples; });
    fill<col("StatusText")>(out, wanted, n, [&](size_t i) { return proc(i).run.statusText; });
    fill<col("RecentCrashes")>(
        out, wanted, n, [&](size_t i) { return static_cast<uint32_t>(proc(i).recentCrashes); });
    fill<col("Group")>(out, wanted, n, [&](size_t i) { return spec(i).group; });
    return out;
}

}  // namespace forever
