// `logs [TARGET]` and `cleanlogs`.
#include <fmt/format.h>

#include <ctime>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/file_tail.hpp"
#include "cli/journal_reader.hpp"
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

// The one process `target` names: logs shows one output, not a merge.
ProcessView theProcess(BusClient& client, const std::string& target) {
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
    return *p;
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

void showJournal(const ProcessView& p, const Invocation& inv, const Output& out) {
    JournalQuery query;
    query.uid = p.uid;
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
    const ProcessView p = theProcess(client, inv.operands.front());
    std::string file = !p.logFile.empty() ? p.logFile : p.outFile;
    if (!file.empty()) {
        showLogFile(p, file, inv, out);
    } else {
        showJournal(p, inv, out);
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
