// `logs [TARGET]` and `cleanlogs`.
#include <fmt/format.h>

#include <ctime>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/file_tail.hpp"
#include "cli/journal_reader.hpp"
#include "cli/remote_logs.hpp"
#include "cli/remote_run.hpp"
#include "cli/table.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {

int runLogList(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    auto all = listProcesses(client);
    if (out.json) {
        json list = json::array();
        for (const auto& p : all) {
            list.push_back({{"index", p.index},
                            {"uid", p.uid},
                            {"script", p.script},
                            {"files", logFilesOf(p)},
                            {"journal", logFilesOf(p).empty()}});
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

// The processes `target` names: one, or the members of one group, whose
// journal stories are interleaved; anything else is one output, not a merge.
std::vector<ProcessView> theProcesses(BusClient& client, const std::string& target) {
    auto paths = client.call([&](ManagerProxy& m) { return m.Find(target); });
    auto all = listProcesses(client);
    std::vector<ProcessView> found;
    for (const auto& path : paths) {
        if (const ProcessView* p = findByPath(all, path)) {
            found.push_back(*p);
        }
    }
    if (found.empty()) {
        throw CliError(kExitNotFound, fmt::format("no process matches '{}'", target));
    }
    bool oneGroup = found.size() > 1 && !found.front().group.empty();
    for (const auto& p : found) {
        oneGroup = oneGroup && p.group == found.front().group && logFilesOf(p).empty();
    }
    if (found.size() > 1 && !oneGroup) {
        throw CliError(kExitUsage, fmt::format("'{}' names {} processes; give an index or uid",
                                               target, found.size()));
    }
    return found;
}

void showLogFile(const ProcessView& p, const std::string& file, const Invocation& inv,
                 const Output& out) {
    if (!p.errFile.empty() && p.logFile.empty() && !out.plain) {
        std::cerr << fmt::format("(stdout from {}; stderr is in {})\n", file, p.errFile);
    }
    std::string error;
    bool ok = tailFile(
        file, inv.lines, inv.follow,
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
}

void printJournalLine(const JournalLine& line, const Output& out) {
    if (out.json) {
        std::cout << json{{"time", line.realtimeUs / 1000}, {"priority", line.priority},
                          {"identifier", line.identifier},  {"pid", line.pid},
                          {"lifecycle", line.lifecycle},    {"message", line.message}}
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
            text = paint("forever: " + text, "\x1b[36m", out.color);
        } else if (line.priority <= 3) {
            text = paint(text, "\x1b[31m", out.color);
        }
        std::cout << paint(stamp, "\x1b[2m", out.color) << ' ' << text << '\n';
    }
}

void showJournal(const std::vector<ProcessView>& processes, const Invocation& inv,
                 const Output& out) {
    JournalQuery query;
    query.uid = processes.front().uid;
    for (size_t i = 1; i < processes.size(); ++i) {
        query.moreUids.push_back(processes[i].uid);
    }
    query.lines = inv.lines;
    query.follow = inv.follow;
    query.sameUserOnly = !inv.system;
    std::string error;
    bool ok = readJournal(
        query,
        [&](const JournalLine& line) {
            printJournalLine(line, out);
            std::cout.flush();
            return static_cast<bool>(std::cout);
        },
        error);
    if (!ok) {
        throw CliError(kExitFailure, error);
    }
}

}  // namespace

int runLogs(const Invocation& inv, const Output& out) {
    if (inv.operands.empty()) {
        return runLogList(inv, out);
    }
    BusClient client(inv.system);
    const auto processes = theProcesses(client, inv.operands.front());
    const ProcessView& p = processes.front();
    std::string file = !p.logFile.empty() ? p.logFile : p.outFile;
    if (HostSpec host; remoteLogsTarget(host)) {
        return runRemoteLogs(
            host,
            RemoteLogQuery{file, p.uid, inv.lines, inv.follow, !inv.system, out.json, out.plain},
            sshSettingsFromEnvironment());
    }
    if (!file.empty()) {
        showLogFile(p, file, inv, out);
    } else {
        showJournal(processes, inv, out);
    }
    return kExitOk;
}

int runCleanLogs(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
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

}  // namespace forever::cli
