#include "cli/process_list.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/table.hpp"
#include "cli/user_config.hpp"
#include "core/exit_status.hpp"

namespace forever::cli {

std::vector<std::string> listColumns() {
    return columnsOf(loadUserConfig(userConfigPath()));
}

std::vector<std::string> fieldsShownBy(const std::vector<std::string>& columns) {
    // What each column of renderList below reads of a ProcessView.
    static const std::map<std::string, std::vector<std::string>> fieldsOf{
        {"index", {}},
        {"uid", {"Uid"}},
        {"command", {"Command"}},
        {"script", {"Script"}},
        {"pid", {"MainPID"}},
        {"uptime", {"MainPID", "StartedAt"}},
        {"restarts", {"Restarts"}},
        {"cpu", {"MainPID", "Samples", "CPUUsage"}},
        {"memory", {"MainPID", "Samples", "MemoryRSS"}},
        {"state", {"State", "RecentCrashes"}},
        {"logfile", {"LogFile", "OutFile", "ErrFile"}},
        {"args", {"Args"}},
        {"dir", {"WorkingDirectory"}},
        {"status", {"StatusText"}},
        {"exitcode", {"ExitCode", "ExitSignal"}},
    };
    std::vector<std::string> fields;
    for (const auto& c : columns) {
        auto it = fieldsOf.find(c);
        if (it == fieldsOf.end()) {
            continue;  // renderList shows nothing for it either
        }
        for (const auto& f : it->second) {
            if (std::find(fields.begin(), fields.end(), f) == fields.end()) {
                fields.push_back(f);
            }
        }
    }
    return fields;
}

std::string renderList(const std::vector<ProcessView>& all, const Output& out) {
    return renderList(all, listColumns(), out);
}

namespace {

enum class Column {
    Index,
    Uid,
    Command,
    Script,
    Pid,
    Uptime,
    Restarts,
    Cpu,
    Memory,
    State,
    LogFile,
    Args,
    Dir,
    Status,
    ExitCode,
    Unknown
};

Column columnNamed(const std::string& name) {
    static const std::map<std::string, Column> byName{
        {"index", Column::Index},       {"uid", Column::Uid},
        {"command", Column::Command},   {"script", Column::Script},
        {"pid", Column::Pid},           {"uptime", Column::Uptime},
        {"restarts", Column::Restarts}, {"cpu", Column::Cpu},
        {"memory", Column::Memory},     {"state", Column::State},
        {"logfile", Column::LogFile},   {"args", Column::Args},
        {"dir", Column::Dir},           {"status", Column::Status},
        {"exitcode", Column::ExitCode},
    };
    auto it = byName.find(name);
    return it == byName.end() ? Column::Unknown : it->second;
}

}  // namespace

std::string renderList(const std::vector<ProcessView>& all, const std::vector<std::string>& columns,
                       const Output& out) {
    const int64_t now = realtimeNowUs();
    std::vector<std::string> headers;
    for (const auto& c : columns) {
        headers.push_back(c == "index" ? "" : c);
    }
    // Named once, not compared as strings in every cell.
    std::vector<Column> kinds;
    for (const auto& c : columns) {
        kinds.push_back(columnNamed(c));
    }
    std::vector<std::vector<std::string>> rows;
    rows.reserve(all.size());
    for (const auto& p : all) {
        bool sampled = p.pid && p.samples > 0;
        std::vector<std::string> row;
        row.reserve(kinds.size());
        for (Column c : kinds) {
            if (c == Column::Index) {
                row.push_back(fmt::format("[{}]", p.index));
            } else if (c == Column::Uid) {
                row.push_back(p.uid);
            } else if (c == Column::Command) {
                row.push_back(p.command.empty() ? "-" : p.command);
            } else if (c == Column::Script) {
                row.push_back(p.script);
            } else if (c == Column::Pid) {
                row.push_back(displayPid(p));
            } else if (c == Column::Uptime) {
                row.push_back(p.pid ? formatUptime(p.uptimeMs(now)) : "-");
            } else if (c == Column::Restarts) {
                row.push_back(std::to_string(p.restarts));
            } else if (c == Column::Cpu) {
                row.push_back(sampled ? fmt::format("{:.1f}%", p.cpu) : "-");
            } else if (c == Column::Memory) {
                row.push_back(sampled ? formatBytes(p.memory) : "-");
            } else if (c == Column::State) {
                std::string state = colorState(p.state, out.color);
                if (p.state == "crash-looping" || (p.recentCrashes > 0 && p.state != "running")) {
                    state += fmt::format(" ({} crashes)", p.recentCrashes);
                }
                row.push_back(state);
            } else if (c == Column::LogFile) {
                auto files = logFilesOf(p);
                row.push_back(files.empty() ? "journal" : files.front());
            } else if (c == Column::Args) {
                std::string args;
                for (const auto& a : p.args) {
                    args += (args.empty() ? "" : " ") + a;
                }
                row.push_back(args.empty() ? "-" : args);
            } else if (c == Column::Dir) {
                row.push_back(p.workingDirectory);
            } else if (c == Column::Status) {
                row.push_back(p.statusText.empty() ? "-" : p.statusText);
            } else if (c == Column::ExitCode) {
                row.push_back(p.exitSignal      ? signalName(p.exitSignal)
                              : p.exitCode >= 0 ? std::to_string(p.exitCode)
                                                : "-");
            }
        }
        rows.push_back(std::move(row));
    }
    return renderTable(headers, rows, TableStyle{out.color, out.plain, out.width});
}

}  // namespace forever::cli
