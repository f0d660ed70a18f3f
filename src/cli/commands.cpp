#include "cli/commands.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/config_file.hpp"
#include "cli/file_tail.hpp"
#include "cli/journal_reader.hpp"
#include "cli/process_view.hpp"
#include "cli/remote_logs.hpp"
#include "cli/remote_run.hpp"
#include "cli/spec_builder.hpp"
#include "cli/table.hpp"
#include "cli/user_config.hpp"
#include "core/exit_status.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {

void printJson(const json& j) {
    std::cout << j.dump(2) << "\n";
}

const ProcessView* findByPath(const std::vector<ProcessView>& all, const std::string& path) {
    for (const auto& p : all) {
        if (p.path == path) {
            return &p;
        }
    }
    return nullptr;
}

std::string displayPid(const ProcessView& p) {
    return p.pid ? std::to_string(p.pid) : "-";
}

void printStarted(const ProcessView* p, const std::string& path, const Output& out, json* jsonOut) {
    if (out.json) {
        jsonOut->push_back(p ? toJson(*p, realtimeNowUs()) : json{{"path", path}});
        return;
    }
    if (p) {
        std::cout << fmt::format("started {} ({}{}), pid {}\n", p->uid,
                                 p->command.empty() ? "" : p->command + " ", p->script,
                                 displayPid(*p));
    } else {
        std::cout << "started " << path << "\n";
    }
}

// Starts each spec in turn, then prints each (pid and all) from one List:
// a List after every Start made a 1000-app config O(n²). If a Start fails,
// what did start is still printed before the error.
json startAll(BusClient& client, const std::vector<json>& specs, const Output& out) {
    std::vector<std::string> paths;
    auto printAll = [&] {
        json started = json::array();
        if (paths.empty()) {
            return started;
        }
        auto all = listProcesses(client);
        for (const auto& path : paths) {
            printStarted(findByPath(all, path), path, out, &started);
        }
        return started;
    };
    try {
        for (const auto& spec : specs) {
            paths.push_back(
                client.call([&](ManagerProxy& m) { return m.Start(toVariants(spec)); }));
        }
    } catch (...) {
        if (!out.json) {
            try {
                printAll();
            } catch (...) {
                // The bus may be why Start failed: its error is the one to say.
            }
        }
        throw;
    }
    return printAll();
}

// `start forever.json|forever.toml`: every app of the file, or none of them.
int runStartConfig(const Invocation& inv, const Output& out) {
    std::string profile;
    for (const auto& text : inv.envSettings) {
        if (auto setting = parseEnvSetting(text); setting.profile) {
            profile = setting.value;
        }
    }
    std::vector<json> apps;
    try {
        apps = loadConfigFile(inv.operands.front(), profile);
    } catch (const ConfigError& e) {
        throw CliError(kExitUsage, e.what());
    }
    BusClient client(inv.system);
    auto running = listProcesses(client);
    std::vector<json> specs;
    for (const auto& app : apps) {
        // Options given on the command line apply to every app of the file,
        // unless the file says otherwise; the environment is the caller's,
        // then the file's env, then --env KEY=VALUE.
        Invocation base = inv;
        base.operands = {app["script"].get<std::string>()};
        base.scriptArgs.clear();
        json spec = buildStartSpec(base, std::filesystem::current_path(), currentEnvironment());
        json env = spec["env"];
        for (const auto& [key, value] : app.items()) {
            spec[key] = value;
        }
        if (app.contains("env")) {
            for (const auto& [k, v] : app["env"].items()) {
                env[k] = v.is_string() ? v.get<std::string>() : v.dump();
            }
        }
        for (const auto& text : inv.envSettings) {
            auto setting = parseEnvSetting(text);
            env[setting.key] = setting.value;
        }
        spec["env"] = env;
        for (auto& one : expandInstances(std::move(spec))) {
            specs.push_back(std::move(one));
        }
    }
    // After expanding instances, so "api-1" is checked as well as "api".
    for (const auto& spec : specs) {
        for (const auto& p : running) {
            if (spec.contains("uid") && p.uid == spec["uid"]) {
                throw CliError(kExitFailure,
                               fmt::format("{}: a process with uid '{}' is already running; "
                                           "nothing was started",
                                           inv.operands.front(), p.uid));
            }
        }
    }
    json started = startAll(client, specs, out);
    if (out.json) {
        printJson(started);
    }
    return kExitOk;
}

int runStart(const Invocation& inv, const Output& out) {
    if (isConfigFile(inv.operands.front())) {
        return runStartConfig(inv, out);
    }
    auto specs =
        expandInstances(buildStartSpec(inv, std::filesystem::current_path(), currentEnvironment()));
    BusClient client(inv.system);
    json started = startAll(client, specs, out);
    if (out.json) {
        printJson(specs.size() == 1 ? started.front() : started);
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

std::vector<std::string> logFilesOf(const ProcessView& p) {
    std::vector<std::string> files;
    for (const auto* f : {&p.logFile, &p.outFile, &p.errFile}) {
        if (!f->empty()) {
            files.push_back(*f);
        }
    }
    return files;
}

std::string renderList(const std::vector<ProcessView>& all, const Output& out);

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
    std::cout << renderList(all, out);
    return kExitOk;
}

std::string renderList(const std::vector<ProcessView>& all, const Output& out) {
    const int64_t now = realtimeNowUs();
    const auto columns = columnsOf(loadUserConfig(userConfigPath()));
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

// A live `list` (PM2's monit): redrawn every second until q or Ctrl-C.
int runMonit(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    const bool tty = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    struct termios saved {};
    if (tty) {
        ::tcgetattr(STDIN_FILENO, &saved);
        struct termios raw = saved;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        std::cout << "\x1b[?25l";  // hide the cursor while redrawing
    }
    auto restore = [&] {
        if (tty) {
            ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
            std::cout << "\x1b[?25h" << std::flush;
        }
    };
    try {
        for (;;) {
            auto all = listProcesses(client);
            std::string frame = tty ? "\x1b[H\x1b[2J" : "";
            char stamp[32];
            time_t t = ::time(nullptr);
            struct tm tm {};
            localtime_r(&t, &tm);
            std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
            frame += paint(fmt::format("forever monit  {}  {} processes  (q to quit)", stamp,
                                       all.size()),
                           "\x1b[1m", out.color) +
                     "\n\n";
            frame += all.empty() ? "No forever processes running\n" : renderList(all, out);
            std::cout << frame << std::flush;
            if (!tty) {
                break;  // a pipe gets one frame
            }
            struct pollfd pfd {
                STDIN_FILENO, POLLIN, 0
            };
            if (::poll(&pfd, 1, 1000) > 0) {
                char c = 0;
                if (::read(STDIN_FILENO, &c, 1) <= 0 || c == 'q' || c == 'Q' || c == 3) {
                    break;
                }
            }
        }
    } catch (...) {
        restore();
        throw;
    }
    restore();
    return kExitOk;
}

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
    if (HostSpec host; remoteLogsTarget(host)) {
        return runRemoteLogs(
            host,
            RemoteLogQuery{file, p->uid, inv.lines, inv.follow, !inv.system, out.json, out.plain},
            sshSettingsFromEnvironment());
    }
    if (!file.empty()) {
        if (!p->errFile.empty() && p->logFile.empty() && !out.plain) {
            std::cerr << fmt::format("(stdout from {}; stderr is in {})\n", file, p->errFile);
        }
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
        auto row = [&](const char* name, const std::string& value) {
            std::cout << fmt::format("{:>14}: {}\n", name, value);
        };
        std::cout << paint(fmt::format("[{}] {}", p->index, p->uid), "\x1b[1m", out.color) << "\n";
        row("state",
            colorState(p->state, out.color) + (p->reason.empty() ? "" : " (" + p->reason + ")"));
        std::string cmd = p->command.empty() ? p->script : p->command + " " + p->script;
        for (const auto& a : p->args) {
            cmd += " " + a;
        }
        row("command", cmd);
        row("directory", p->workingDirectory);
        if (!p->statusText.empty()) {
            row("status", p->statusText);
        }
        row("pid", displayPid(*p));
        row("uptime", p->pid ? formatUptime(p->uptimeMs(now)) : "-");
        row("restarts", fmt::format("{} ({} recent crashes)", p->restarts, p->recentCrashes));
        if (p->exitSignal) {
            row("last exit", fmt::format("signal {}", signalName(p->exitSignal)));
        } else if (p->exitCode >= 0) {
            row("last exit", fmt::format("exit code {}", p->exitCode));
        }
        if (p->samples > 0) {
            row("cpu", fmt::format("{:.1f}% now, {:.1f}% average of {} samples", p->cpu,
                                   p->cpuAverage, p->samples));
            row("memory", fmt::format("{} now, {} average{}", formatBytes(p->memory),
                                      formatBytes(p->memoryAverage),
                                      p->maxMemory ? ", limit " + formatBytes(p->maxMemory) : ""));
        }
        auto files = logFilesOf(*p);
        std::string logs;
        for (const auto& f : files) {
            logs += (logs.empty() ? "" : ", ") + f;
        }
        row("logs", logs.empty() ? "journal (foreverctl logs " + p->uid + ")" : logs);
    }
    if (out.json) {
        printJson(list);
    }
    return kExitOk;
}

int runSettings(const Invocation& inv, const Output& out) {
    const auto path = userConfigPath();
    json config = loadUserConfig(path);
    const std::string& a = inv.action;
    if (a == "config") {
        json shown = config;
        shown["columns"] = columnsOf(config);
        if (!shown.contains("color"))
            shown["color"] = "auto";
        if (!shown.contains("lines"))
            shown["lines"] = 10;
        if (out.json) {
            printJson(shown);
        } else {
            for (const auto& [key, value] : shown.items()) {
                std::string text;
                if (value.is_array()) {
                    for (const auto& v : value) {
                        text += (text.empty() ? "" : ",") + v.get<std::string>();
                    }
                } else {
                    text = value.is_string() ? value.get<std::string>() : value.dump();
                }
                std::cout << key << " = " << text << "\n";
            }
            std::cout << "(" << path.string() << ")\n";
        }
        return kExitOk;
    }
    if (a == "set") {
        setConfigValue(config, inv.operands[0], inv.operands[1]);
    } else if (a == "clear") {
        clearConfigValue(config, inv.operands[0]);
    } else if (a == "columns") {
        changeColumns(config, inv.operands[0],
                      std::vector<std::string>(inv.operands.begin() + 1, inv.operands.end()));
    }
    saveUserConfig(path, config);
    if (a == "columns" && !out.json) {
        std::string text;
        for (const auto& c : columnsOf(config)) {
            text += (text.empty() ? "" : " ") + c;
        }
        std::cout << "columns: " << text << "\n";
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
    if (a == "status") {
        return runStatus(inv, out);
    }
    if (a == "monit") {
        return runMonit(inv, out);
    }
    if (a == "config" || a == "set" || a == "clear" || a == "columns") {
        return runSettings(inv, out);
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
    if (a == "reload") {
        auto uids = client.call([&](ManagerProxy& m) { return m.Reload(inv.operands.front()); });
        return printUids(uids, "reloaded", out);
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
