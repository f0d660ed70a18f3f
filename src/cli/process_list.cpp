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

std::string renderList(const std::vector<ProcessView>& all, const std::vector<std::string>& columns,
                       const Output& out) {
    const int64_t now = realtimeNowUs();
    std::vector<std::string> headers;
    for (const auto& c : columns) {
        headers.push_back(c == "index" ? "" : c);
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : all) {
        bool sampled = p.pid && p.samples > 0;
        std::vector<std::string> row;
        for (const auto& c : columns) {
            if (c == "index") {
                row.push_back(fmt::format("[{}]", p.index));
            } else if (c == "uid") {
                row.push_back(p.uid);
            } else if (c == "command") {
                row.push_back(p.command.empty() ? "-" : p.command);
            } else if (c == "script") {
                row.push_back(p.script);
            } else if (c == "pid") {
                row.push_back(displayPid(p));
            } else if (c == "uptime") {
                row.push_back(p.pid ? formatUptime(p.uptimeMs(now)) : "-");
            } else if (c == "restarts") {
                row.push_back(std::to_string(p.restarts));
            } else if (c == "cpu") {
                row.push_back(sampled ? fmt::format("{:.1f}%", p.cpu) : "-");
            } else if (c == "memory") {
                row.push_back(sampled ? formatBytes(p.memory) : "-");
            } else if (c == "state") {
                std::string state = colorState(p.state, out.color);
                if (p.state == "crash-looping" || (p.recentCrashes > 0 && p.state != "running")) {
                    state += fmt::format(" ({} crashes)", p.recentCrashes);
                }
                row.push_back(state);
            } else if (c == "logfile") {
                auto files = logFilesOf(p);
                row.push_back(files.empty() ? "journal" : files.front());
            } else if (c == "args") {
                std::string args;
                for (const auto& a : p.args) {
                    args += (args.empty() ? "" : " ") + a;
                }
                row.push_back(args.empty() ? "-" : args);
            } else if (c == "dir") {
                row.push_back(p.workingDirectory);
            } else if (c == "status") {
                row.push_back(p.statusText.empty() ? "-" : p.statusText);
            } else if (c == "exitcode") {
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
