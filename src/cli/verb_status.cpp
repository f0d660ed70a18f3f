#include <fmt/format.h>

#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/table.hpp"
#include "cli/verbs.hpp"
#include "core/exit_status.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {

// One process, one "name: value" line per fact, for a person to read.
void printStatus(const ProcessView& p, int64_t now, const Output& out) {
    auto row = [&](const char* name, const std::string& value) {
        std::cout << fmt::format("{:>14}: {}\n", name, value);
    };
    std::cout << paint(fmt::format("[{}] {}", p.index, p.uid), "\x1b[1m", out.color) << "\n";
    row("state", colorState(p.state, out.color) + (p.reason.empty() ? "" : " (" + p.reason + ")"));
    std::string cmd = p.command.empty() ? p.script : p.command + " " + p.script;
    for (const auto& a : p.args) {
        cmd += " " + a;
    }
    row("command", cmd);
    row("directory", p.workingDirectory);
    if (!p.group.empty()) {
        row("group", p.group);
    }
    if (!p.statusText.empty()) {
        row("status", p.statusText);
    }
    row("pid", displayPid(p));
    row("uptime", p.pid ? formatUptime(p.uptimeMs(now)) : "-");
    row("restarts", fmt::format("{} ({} recent crashes)", p.restarts, p.recentCrashes));
    if (p.exitSignal) {
        row("last exit", fmt::format("signal {}", signalName(p.exitSignal)));
    } else if (p.exitCode >= 0) {
        row("last exit", fmt::format("exit code {}", p.exitCode));
    }
    if (p.samples > 0) {
        row("cpu", fmt::format("{:.1f}% now, {:.1f}% average of {} samples", p.cpu, p.cpuAverage,
                               p.samples));
        row("memory",
            fmt::format("{} now, {} average{}", formatBytes(p.memory), formatBytes(p.memoryAverage),
                        p.maxMemory ? ", limit " + formatBytes(p.maxMemory) : ""));
    }
    auto files = logFilesOf(p);
    std::string logs;
    for (const auto& f : files) {
        logs += (logs.empty() ? "" : ", ") + f;
    }
    row("logs", logs.empty() ? "journal (foreverctl logs " + p.uid + ")" : logs);
}

}  // namespace

int runStatus(const Invocation& inv, const Output& out) {
    const std::string& target = inv.operands.front();
    BusClient client(inv.system);
    auto paths = client.call([&](ManagerProxy& m) { return m.Find(target); });
    auto all = listProcesses(client);
    const int64_t now = realtimeNowUs();
    json list = json::array();
    bool first = true;
    for (const auto& path : paths) {
        const ProcessView* p = findByPath(all, path);
        if (!p) {
            continue;
        }
        if (out.json) {
            list.push_back(toJson(*p, now));
            continue;
        }
        if (!first) {
            std::cout << "\n";
        }
        first = false;
        printStatus(*p, now, out);
    }
    if (out.json) {
        printJson(list);
    }
    return kExitOk;
}

}  // namespace forever::cli
