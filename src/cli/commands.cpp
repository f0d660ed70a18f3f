#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/file_tail.hpp"
#include "cli/journal_reader.hpp"
#include "cli/process_view.hpp"
#include "cli/spec_builder.hpp"
#include "cli/table.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {

void printJson(const json& j) { std::cout << j.dump(2) << "\n"; }

const ProcessView* findByPath(const std::vector<ProcessView>& all, const std::string& path) {
    for (const auto& p : all) {
        if (p.path == path) {
            return &p;
        }
    }
    return nullptr;
}

std::string displayPid(const ProcessView& p) { return p.pid ? std::to_string(p.pid) : "-"; }

int runStart(const Invocation& inv, const Output& out) {
    const std::string& script = inv.operands.front();
    auto ext = std::filesystem::path(script).extension().string();
    if (ext == ".json" || ext == ".toml") {
        throw CliError(kExitUsage, fmt::format("{}: config files are not supported yet", script));
    }
    json spec = buildStartSpec(inv, std::filesystem::current_path(), currentEnvironment());
    BusClient client(inv.system);
    auto path = client.call([&](ManagerProxy& m) { return m.Start(toVariants(spec)); });
    auto all = listProcesses(client);
    const ProcessView* p = findByPath(all, path);
    if (out.json) {
        printJson(p ? toJson(*p, realtimeNowUs()) : json{{"path", std::string(path)}});
        return kExitOk;
    }
    if (p) {
        std::cout << fmt::format("started {} ({}{}), pid {}\n", p->uid, p->command.empty() ? "" : p->command + " ",
                                 p->script, displayPid(*p));
    } else {
        std::cout << "started " << std::string(path) << "\n";
    }
    return kExitOk;
}

int printUids(const std::vector<std::string>& uids, const char* verb, const Output& out) {
    if (out.json) {
        printJson(uids);
        return kExitOk;
    }
    if (uids.empty()) {
        std::cout << "No forever processes running\n";
        return kExitOk;
    }
    for (const auto& uid : uids) {
        std::cout << verb << " " << uid << "\n";
    }
    return kExitOk;
}

int runList(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    auto all = listProcesses(client);
    const int64_t now = realtimeNowUs();
    if (out.json) {
        json list = json::array();
        for (const auto& p : all) {
            list.push_back(toJson(p, now));
        }
        printJson(list);
        return kExitOk;
    }
    if (all.empty()) {
        std::cout << "No forever processes running\n";
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : all) {
        std::string state = colorState(p.state, out.color);
        if (p.state == "crash-looping" || (p.recentCrashes > 0 && p.state != "running")) {
            state += fmt::format(" ({} crashes)", p.recentCrashes);
        }
        std::string restarts = std::to_string(p.restarts);
        rows.push_back({fmt::format("[{}]", p.index), p.uid,
                        p.command.empty() ? "-" : p.command, p.script, displayPid(p),
                        p.pid ? formatUptime(p.uptimeMs(now)) : "-", restarts, state});
    }
    std::cout << renderTable({"", "uid", "command", "script", "pid", "uptime", "restarts", "state"},
                             rows, TableStyle{out.color, out.plain, out.width});
    return kExitOk;
}

std::vector<std::string> logFilesOf(const ProcessView& p) {
    std::vector<std::string> files;
    for (const auto* f : {&p.logFile, &p.outFile, &p.errFile}) {
        if (!f->empty()) {
            files.push_back(*f);
        }
    }
    return files;
}

int runLogList(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    auto all = listProcesses(client);
    if (out.json) {
        json list = json::array();
        for (const auto& p : all) {
            list.push_back({{"index", p.index}, {"uid", p.uid}, {"script", p.script},
                            {"files", logFilesOf(p)}, {"journal", logFilesOf(p).empty()}});
        }
        printJson(list);
        return kExitOk;
    }
    if (all.empty()) {
        std::cout << "No forever processes running\n";
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : all) {
        auto files = logFilesOf(p);
        std::string where;
        for (const auto& f : files) {
            where += (where.empty() ? "" : " ") + f;
        }
        if (where.empty()) {
            where = "journal (foreverctl logs " + p.uid + ", journalctl -t " + p.uid + ")";
        }
        rows.push_back({fmt::format("[{}]", p.index), p.uid, p.script, where});
    }
    std::cout << renderTable({"", "uid", "script", "logs"}, rows,
                             TableStyle{out.color, out.plain, 0});
    return kExitOk;
}

int runLogs(const Invocation& inv, const Output& out) {
    if (inv.operands.empty()) {
        return runLogList(inv, out);
    }
    const std::string& target = inv.operands.front();
    BusClient client(inv.system);
    auto paths = client.call([&](ManagerProxy& m) { return m.Find(target); });
    if (paths.size() > 1) {
        throw CliError(kExitUsage, fmt::format("'{}' names {} processes; give an index or uid",
                                               target, paths.size()));
    }
    auto all = listProcesses(client);
    const ProcessView* p = paths.empty() ? nullptr : findByPath(all, paths.front());
    if (!p) {
        throw CliError(kExitNotFound, fmt::format("no process matches '{}'", target));
    }
    std::string error;
    const bool color = out.color;
    std::string file = !p->logFile.empty() ? p->logFile : p->outFile;
    if (!file.empty()) {
        if (!p->errFile.empty() && p->logFile.empty() && !out.plain) {
            std::cerr << fmt::format("(stdout from {}; stderr is in {})\n", file, p->errFile);
        }
        bool ok = tailFile(file, inv.lines, inv.follow,
                           [](const std::string& line) {
                               std::cout << line << '\n';
                               if (!std::cout) {
                                   return false;  // EPIPE: a closed `| head`
                               }
                               std::cout.flush();
                               return true;
                           },
                           error);
        if (!ok) {
            throw CliError(kExitFailure, error);
        }
        return kExitOk;
    }
    JournalQuery query;
    query.uid = p->uid;
    query.lines = inv.lines;
    query.follow = inv.follow;
    query.sameUserOnly = !inv.system;
    bool ok = readJournal(
        query,
        [&](const JournalLine& line) {
            if (out.json) {
                std::cout << json{{"time", line.realtimeUs / 1000},
                                  {"priority", line.priority},
                                  {"identifier", line.identifier},
                                  {"pid", line.pid},
                                  {"lifecycle", line.lifecycle},
                                  {"message", line.message}}
                                 .dump()
                          << '\n';
            } else if (out.plain) {
                std::cout << line.message << '\n';
            } else {
                time_t secs = static_cast<time_t>(line.realtimeUs / 1000000);
                struct tm tm {};
                localtime_r(&secs, &tm);
                char stamp[32];
                std::strftime(stamp, sizeof stamp, "%b %d %H:%M:%S", &tm);
                std::string text = line.message;
                if (line.lifecycle) {
                    text = paint("forever: " + text, "\x1b[36m", color);
                } else if (line.priority <= 3) {
                    text = paint(text, "\x1b[31m", color);
                }
                std::cout << paint(stamp, "\x1b[2m", color) << ' ' << text << '\n';
            }
            std::cout.flush();
            return static_cast<bool>(std::cout);
        },
        error);
    if (!ok) {
        throw CliError(kExitFailure, error);
    }
    return kExitOk;
}

}  // namespace

int runAction(const Invocation& inv, const Output& out) {
    const std::string& a = inv.action;
    if (a == "start") {
        return runStart(inv, out);
    }
    if (a == "list") {
        return runList(inv, out);
    }
    if (a == "logs") {
        return runLogs(inv, out);
    }
    BusClient client(inv.system);
    if (a == "stop") {
        auto uids = client.call([&](ManagerProxy& m) { return m.Stop(inv.operands.front()); });
        return printUids(uids, "stopped", out);
    }
    if (a == "restart") {
        auto uids = client.call([&](ManagerProxy& m) { return m.Restart(inv.operands.front()); });
        return printUids(uids, "restarted", out);
    }
    if (a == "stopall") {
        auto uids = client.call([](ManagerProxy& m) { return m.StopAll(); });
        return printUids(uids, "stopped", out);
    }
    if (a == "restartall") {
        auto uids = client.call([](ManagerProxy& m) { return m.RestartAll(); });
        return printUids(uids, "restarted", out);
    }
    if (a == "stopbypid") {
        auto pid = static_cast<uint32_t>(std::stoul(inv.operands.front()));
        auto uid = client.call([&](ManagerProxy& m) { return m.StopByPid(pid); });
        return printUids({uid}, "stopped", out);
    }
    if (a == "cleanlogs") {
        auto removed = client.call([](ManagerProxy& m) { return m.CleanLogs(); });
        if (out.json) {
            printJson(removed);
        } else if (removed.empty()) {
            std::cout << "No log files to remove\n";
        } else {
            for (const auto& f : removed) {
                std::cout << "removed " << f << "\n";
            }
        }
        return kExitOk;
    }
    throw CliError(kExitUsage, fmt::format("unknown action '{}'", a));
}

}  // namespace forever::cli
