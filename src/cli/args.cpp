#include "cli/args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <optional>

namespace forever::cli {

using nlohmann::json;

namespace {

enum class Kind {
    Flag,
    String,
    List,
    Millis,
    Integer,
    Bytes,
    Seconds,
    Signal,
    Env,
    Lines,
    Remote,  // -H, --hosts, --machine: the Invocation field named by key
};

struct Option {
    OptionInfo info;
    Kind kind;
    std::string key;  // spec key, or the Invocation field for globals
};

const std::vector<std::string> kStart{"start"};

// Order here is the order in --help.
const std::vector<Option>& options() {
    static const std::vector<Option> table{
        {{"--json", "", "", "print JSON for scripts", {}}, Kind::Flag, "json"},
        {{"--plain", "", "", "no colour, no table borders", {}}, Kind::Flag, "plain"},
        {{"--no-color", "", "", "no colour (also NO_COLOR=1)", {}}, Kind::Flag, "noColor"},
        {{"--no-colors", "", "", "same as --no-color (forever's name)", {}}, Kind::Flag, "noColor"},
        {{"--colors", "", "", "colour even when not on a terminal", {}}, Kind::Flag, "forceColor"},
        {{"--system", "", "", "talk to the system-wide foreverd", {}}, Kind::Flag, "system"},
        {{"--host",
          "-H",
          "[USER@]HOST[:PORT]",
          "act on HOST's foreverd over ssh (repeat for several; paths are HOST's)",
          {}},
         Kind::Remote,
         "hosts"},
        {{"--hosts", "", "FILE", "act on every host in FILE (one per line)", {}},
         Kind::Remote,
         "hostsFile"},
        {{"--machine", "-M", "[USER@]NAME", "act on the foreverd of local container NAME", {}},
         Kind::Remote,
         "machine"},
        {{"--help", "-h", "", "show help (for an action: help ACTION)", {}}, Kind::Flag, "help"},
        {{"--version", "", "", "print the version", {}}, Kind::Flag, "version"},

        {{"--uid", "", "NAME", "name of the process (default: script name)", kStart},
         Kind::String,
         "uid"},
        {{"--max", "-m", "N", "give up after N restarts", kStart}, Kind::Integer, "max"},
        {{"--minUptime", "", "MS", "shorter runs count as spinning (default 1000)", kStart},
         Kind::Millis,
         "minUptime"},
        {{"--spinSleepTime", "", "MS", "wait this long before restarting a spinning process",
          kStart},
         Kind::Millis,
         "spinSleepTime"},
        {{"--restart", "", "WHEN", "always | on-failure | no (default always)", kStart},
         Kind::String,
         "restart"},
        {{"--restartDelay", "", "MS", "first restart delay; doubles on repeated crashes", kStart},
         Kind::Millis,
         "restartDelay"},
        {{"--restartDelayMax", "", "MS", "cap of the restart back-off (default 15000)", kStart},
         Kind::Millis,
         "restartDelayMax"},
        {{"--backoffResetAfter", "", "MS", "an uptime this long forgets past crashes (30000)",
          kStart},
         Kind::Millis,
         "backoffResetAfter"},
        {{"--crashLoopBurst", "", "N", "crashes within the interval that mean a crash loop (5)",
          kStart},
         Kind::Integer,
         "crashLoopBurst"},
        {{"--crashLoopInterval", "", "MS", "the crash-loop window (default 300000)", kStart},
         Kind::Millis,
         "crashLoopInterval"},
        {{"--command", "-c", "COMMAND", "interpreter (default node for .js)", kStart},
         Kind::String,
         "command"},
        {{"--sourceDir", "", "DIR", "directory the script path is relative to", kStart},
         Kind::String,
         "sourceDir"},
        {{"--workingDir", "", "DIR", "working directory of the process", kStart},
         Kind::String,
         "workingDir"},
        {{"--env", "", "NAME|K=V", "NODE_ENV=NAME, or set one variable (repeatable)", kStart},
         Kind::Env,
         "env"},
        {{"--logFile", "-l", "FILE", "combined stdout+stderr log file", kStart},
         Kind::String,
         "logFile"},
        {{"--outFile", "-o", "FILE", "stdout log file", kStart}, Kind::String, "outFile"},
        {{"--errFile", "-e", "FILE", "stderr log file", kStart}, Kind::String, "errFile"},
        {{"--path", "-p", "DIR", "base directory of relative log files", kStart},
         Kind::String,
         "path"},
        {{"--append", "-a", "", "append to log files instead of truncating", kStart},
         Kind::Flag,
         "append"},
        {{"--timestamp", "-t", "", "prefix log lines with a timestamp", kStart},
         Kind::Flag,
         "timestamp"},
        {{"--silent", "-s", "", "discard the output", kStart}, Kind::Flag, "silent"},
        {{"--logMaxBytes", "", "SIZE",
          "rotate log files at this size: 10M (default), 512K, 0 = never", kStart},
         Kind::Bytes,
         "logMaxBytes"},
        {{"--logKeep", "", "N", "rotated log files to keep (default 5)", kStart},
         Kind::Integer,
         "logKeep"},
        {{"--logMaxAge", "", "AGE", "delete rotated logs older than this: 30d (default), 12h",
          kStart},
         Kind::Seconds,
         "logMaxAge"},
        {{"--instances", "-i", "N", "run N copies (uid-0..), FOREVER_INSTANCE set in each", kStart},
         Kind::Integer,
         "instances"},
        {{"--wait-ready", "", "", "stay 'starting' until the app sends READY=1 (sd_notify)",
          kStart},
         Kind::Flag,
         "waitReady"},
        {{"--watchdog", "", "SEC", "kill and restart the app without WATCHDOG=1 for SEC s", kStart},
         Kind::Integer,
         "watchdogSec"},
        {{"--health-url", "", "URL", "GET it every interval; restart after failures (http://)",
          kStart},
         Kind::String,
         "healthUrl"},
        {{"--health-interval", "", "SEC", "seconds between health checks (default 10)", kStart},
         Kind::Integer,
         "healthInterval"},
        {{"--health-failures", "", "N", "failed checks in a row that restart it (default 3)",
          kStart},
         Kind::Integer,
         "healthFailures"},
        {{"--listen", "", "[HOST:]PORT",
          "bind this TCP port once; every run gets it as fd 3 (LISTEN_FDS)", kStart},
         Kind::String,
         "listen"},
        {{"--reloadTimeout", "", "MS", "how long reload waits for the new run (default 30000)",
          kStart},
         Kind::Millis,
         "reloadTimeout"},
        {{"--maxMemory", "", "SIZE", "restart when the tree's RSS goes above (e.g. 300M)", kStart},
         Kind::Bytes,
         "maxMemory"},
        {{"--killSignal", "", "SIG", "signal that stops the process (default SIGTERM)", kStart},
         Kind::Signal,
         "killSignal"},
        {{"--killTimeout", "", "MS", "SIGKILL after this long (default 5000)", kStart},
         Kind::Millis,
         "killTimeout"},
        {{"--killTree", "", "", "stop every descendant too", kStart}, Kind::Flag, "killTree"},
        {{"--pidFile", "", "FILE", "write the pid here", kStart}, Kind::String, "pidFile"},
        {{"--alertCommand", "", "CMD", "run by /bin/sh when a crash loop starts", kStart},
         Kind::String,
         "alertCommand"},
        {{"--watch", "-w", "", "restart when a file changes (inotify)", kStart},
         Kind::Flag,
         "watch"},
        {{"--watchDirectory", "", "DIR", "directory to watch (default: the script's)", kStart},
         Kind::String,
         "watchDirectory"},
        {{"--watchIgnore", "", "GLOB", "changes to ignore (repeatable; also .foreverignore)",
          kStart},
         Kind::List,
         "watchIgnorePatterns"},

        {{"--follow", "-f", "", "keep printing new lines", {"logs"}}, Kind::Flag, "follow"},
        {{"--lines", "-n", "N", "how many lines to show (default 10)", {"logs"}},
         Kind::Lines,
         "lines"},
    };
    return table;
}

const std::vector<ActionInfo>& actions() {
    static const std::vector<ActionInfo> table{
        {"start", "start [options] SCRIPT [args...]", "start SCRIPT as a supervised process", 1, 1},
        {"stop", "stop TARGET", "stop the process(es) TARGET names and forget them", 1, 1},
        {"stopall", "stopall", "stop every process", 0, 0},
        {"restart", "restart TARGET", "restart the process(es) TARGET names", 1, 1},
        {"restartall", "restartall", "restart every process", 0, 0},
        {"reload", "reload TARGET",
         "replace without downtime: the new run starts, the old one stops once it is ready", 1, 1},
        {"stopbypid", "stopbypid PID", "stop the supervised process with this pid", 1, 1},
        {"list", "list", "show every process", 0, 0},
        {"monit", "monit", "live view of every process (q quits)", 0, 0},
        {"status", "status TARGET", "everything about one process, with CPU and memory", 1, 1},
        {"logs", "logs [TARGET] [-f] [-n N]",
         "without TARGET: list log files; with it: show its output", 0, 1},
        {"cleanlogs", "cleanlogs", "delete log files no running process writes", 0, 0},
        {"columns", "columns add|rm|set COLUMN...", "choose the columns of list (remembered)", 2,
         64},
        {"config", "config", "show foreverctl's settings", 0, 0},
        {"set", "set KEY VALUE", "change a setting: columns, color (auto/always/never), lines", 2,
         2},
        {"clear", "clear KEY", "reset a setting to its default", 1, 1},
        {"help", "help [ACTION]", "show help", 0, 1},
    };
    return table;
}

const Option* findOption(const std::string& name) {
    for (const auto& o : options()) {
        if (o.info.longName == name || (!o.info.shortName.empty() && o.info.shortName == name)) {
            return &o;
        }
    }
    return nullptr;
}

bool appliesTo(const Option& o, const std::string& action) {
    return o.info.actions.empty() ||
           std::find(o.info.actions.begin(), o.info.actions.end(), action) != o.info.actions.end();
}

std::string hint(const std::string& word, const std::vector<std::string>& names) {
    auto best = closestMatch(word, names);
    return best ? fmt::format(" (did you mean {}?)", *best) : "";
}

std::vector<std::string> optionNames() {
    std::vector<std::string> out;
    for (const auto& o : options()) {
        out.push_back(o.info.longName);
    }
    return out;
}

uint64_t parseCount(const std::string& option, const std::string& value) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size()) {
        throw UsageError(
            fmt::format("{} expects a non-negative whole number, not '{}'", option, value));
    }
    return n;
}

// node's own flags are kebab-case (--max-old-space-size=1024, --inspect);
// forever's options are camelCase. An unknown kebab-case option before the
// script is therefore handed to the interpreter, unless it is a near miss
// of one of ours, which is far more likely a typo.
bool looksLikeInterpreterFlag(const std::string& word) {
    if (word.size() < 3 || word.rfind("--", 0) != 0) {
        return false;
    }
    std::string name = word.substr(
        2, word.find('=') == std::string::npos ? std::string::npos : word.find('=') - 2);
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// "10M", "512K", "1G", "4096": bytes, powers of 1024.
uint64_t parseSize(const std::string& option, const std::string& value) {
    static const std::string units = "KMG";
    std::string digits = value;
    uint64_t scale = 1;
    if (!value.empty()) {
        auto u =
            units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(value.back()))));
        if (u != std::string::npos) {
            digits.pop_back();
            scale = uint64_t{1} << (10 * (u + 1));
        }
    }
    try {
        return parseCount(option, digits) * scale;
    } catch (const UsageError&) {
        throw UsageError(
            fmt::format("{} expects a size such as 10M, 512K or 4096, not '{}'", option, value));
    }
}

// "30d", "12h", "90m", "45s", "3600": seconds.
uint64_t parseSeconds(const std::string& option, const std::string& value) {
    std::string digits = value;
    uint64_t scale = 1;
    if (!value.empty() && std::isalpha(static_cast<unsigned char>(value.back()))) {
        switch (value.back()) {
            case 's':
                scale = 1;
                break;
            case 'm':
                scale = 60;
                break;
            case 'h':
                scale = 3600;
                break;
            case 'd':
                scale = 86400;
                break;
            default:
                throw UsageError(fmt::format(
                    "{} expects a duration such as 30d, 12h or 90m, not '{}'", option, value));
        }
        digits.pop_back();
    }
    try {
        return parseCount(option, digits) * scale;
    } catch (const UsageError&) {
        throw UsageError(
            fmt::format("{} expects a duration such as 30d, 12h or 90m, not '{}'", option, value));
    }
}

void setGlobal(Invocation& inv, const std::string& key) {
    if (key == "json")
        inv.json = true;
    else if (key == "plain")
        inv.plain = true;
    else if (key == "noColor")
        inv.noColor = true;
    else if (key == "forceColor")
        inv.forceColor = true;
    else if (key == "system")
        inv.system = true;
    else if (key == "help")
        inv.help = true;
    else if (key == "version")
        inv.version = true;
    else if (key == "follow")
        inv.follow = true;
}

void apply(Invocation& inv, const Option& o, const std::string& name,
           const std::optional<std::string>& value) {
    const std::string& v = value ? *value : std::string();
    switch (o.kind) {
        case Kind::Flag:
            if (o.info.actions.empty() || o.key == "follow") {
                setGlobal(inv, o.key);
            } else {
                inv.spec[o.key] = true;
            }
            return;
        case Kind::String:
            if (v.empty()) {
                throw UsageError(fmt::format("{} needs a non-empty value", name));
            }
            inv.spec[o.key] = v;
            return;
        case Kind::List:
            if (v.empty()) {
                throw UsageError(fmt::format("{} needs a non-empty value", name));
            }
            inv.spec[o.key].push_back(v);
            return;
        case Kind::Millis:
            inv.spec[o.key] = parseCount(name, v);
            return;
        case Kind::Integer:
            inv.spec[o.key] = static_cast<int64_t>(parseCount(name, v));
            return;
        case Kind::Bytes:
            inv.spec[o.key] = parseSize(name, v);
            return;
        case Kind::Seconds:
            inv.spec[o.key] = parseSeconds(name, v);
            return;
        case Kind::Signal:
            inv.spec[o.key] = v;  // the daemon knows signal names; it validates
            return;
        case Kind::Env:
            parseEnvSetting(v);  // refuse a malformed one now
            inv.envSettings.push_back(v);
            return;
        case Kind::Lines:
            inv.lines = static_cast<unsigned>(std::min<uint64_t>(parseCount(name, v), 1u << 30));
            inv.linesGiven = true;
            return;
        case Kind::Remote:
            if (v.empty()) {
                throw UsageError(fmt::format("{} needs a non-empty value", name));
            }
            if (o.key == "hosts") {
                inv.hosts.push_back(v);
            } else if (o.key == "hostsFile") {
                inv.hostsFile = v;
            } else {
                inv.machine = v;
            }
            return;
    }
}

}  // namespace

size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            size_t cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
            diag = up;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closestMatch(const std::string& word,
                                        const std::vector<std::string>& names) {
    std::optional<std::string> best;
    size_t bestDistance = 3;  // farther than 2 edits is not a typo
    for (const auto& n : names) {
        size_t d = editDistance(word, n);
        if (d < bestDistance) {
            bestDistance = d;
            best = n;
        }
    }
    return best;
}

EnvSetting parseEnvSetting(const std::string& text) {
    if (text.empty()) {
        throw UsageError("--env needs NAME or KEY=VALUE");
    }
    auto eq = text.find('=');
    if (eq == std::string::npos) {
        return {"NODE_ENV", text, true};
    }
    if (eq == 0) {
        throw UsageError(fmt::format("--env '{}': the variable name is empty", text));
    }
    return {text.substr(0, eq), text.substr(eq + 1), false};
}

const std::vector<ActionInfo>& actionTable() {
    return actions();
}

const std::vector<OptionInfo>& optionTable() {
    static const std::vector<OptionInfo> infos = [] {
        std::vector<OptionInfo> out;
        for (const auto& o : options()) {
            out.push_back(o.info);
        }
        return out;
    }();
    return infos;
}

Invocation parseArgs(const std::vector<std::string>& argv) {
    Invocation inv;
    bool scriptSeen = false;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& word = argv[i];
        if (scriptSeen) {
            inv.scriptArgs.push_back(word);  // forever's rule: after SCRIPT, it is the script's
            continue;
        }
        if (word == "--") {
            // Everything after is operands (a script named "-x", say).
            for (++i; i < argv.size(); ++i) {
                if (inv.action == "start" && inv.operands.size() == 1) {
                    inv.scriptArgs.push_back(argv[i]);
                } else {
                    inv.operands.push_back(argv[i]);
                }
            }
            break;
        }
        if (word.size() > 1 && word[0] == '-' &&
            !(inv.action == "stopbypid" && word.size() > 1 &&
              std::isdigit(static_cast<unsigned char>(word[1])))) {
            std::string name = word;
            std::optional<std::string> value;
            if (auto eq = word.find('='); eq != std::string::npos && word.rfind("--", 0) == 0) {
                name = word.substr(0, eq);
                value = word.substr(eq + 1);
            }
            const Option* o = findOption(name);
            if (o && !appliesTo(*o, inv.action)) {
                if (inv.action.empty()) {
                    throw UsageError(fmt::format(
                        "{} belongs after an action (foreverctl start {} ...)", name, name));
                }
                throw UsageError(fmt::format("{} does not apply to '{}'", name, inv.action));
            }
            if (!o) {
                if (inv.action == "start" && looksLikeInterpreterFlag(word) &&
                    !closestMatch(name, optionNames())) {
                    inv.spec["nodeArgs"].push_back(word);
                    continue;
                }
                throw UsageError(
                    fmt::format("unknown option {}{}", name, hint(name, optionNames())));
            }
            const bool takesValue = !o->info.valueName.empty();
            if (!takesValue && value) {
                throw UsageError(fmt::format("{} takes no value", name));
            }
            if (takesValue && !value) {
                if (i + 1 >= argv.size()) {
                    throw UsageError(fmt::format("{} needs a value ({})", name, o->info.valueName));
                }
                value = argv[++i];
            }
            apply(inv, *o, name, value);
            continue;
        }
        if (inv.action.empty()) {
            std::vector<std::string> names;
            for (const auto& a : actions()) {
                names.push_back(a.name);
            }
            if (std::find(names.begin(), names.end(), word) == names.end()) {
                throw UsageError(fmt::format("unknown action '{}'{}", word, hint(word, names)));
            }
            inv.action = word;
            continue;
        }
        inv.operands.push_back(word);
        if (inv.action == "start") {
            scriptSeen = true;
        }
    }
    if (inv.action == "help") {
        inv.help = true;
        inv.action = inv.operands.empty() ? "" : inv.operands.front();
        inv.operands.clear();
        if (!inv.action.empty() &&
            std::none_of(actions().begin(), actions().end(),
                         [&](const ActionInfo& a) { return a.name == inv.action; })) {
            throw UsageError(fmt::format("no help for unknown action '{}'", inv.action));
        }
        return inv;
    }
    if (inv.help || inv.version) {
        return inv;
    }
    if (inv.action.empty()) {
        throw UsageError("no action given (try: foreverctl --help)");
    }
    for (const auto& a : actions()) {
        if (a.name != inv.action) {
            continue;
        }
        if (inv.operands.size() < a.minOperands) {
            throw UsageError(fmt::format("missing operand: usage: foreverctl {}", a.usage));
        }
        if (inv.operands.size() > a.maxOperands) {
            throw UsageError(fmt::format("unexpected '{}': usage: foreverctl {}",
                                         inv.operands[a.maxOperands], a.usage));
        }
    }
    if (inv.action == "stopbypid") {
        parseCount("PID", inv.operands.front());
    }
    return inv;
}

std::string helpText(const std::string& action) {
    std::string out;
    auto optionLines = [&](const std::function<bool(const OptionInfo&)>& pick) {
        for (const auto& o : optionTable()) {
            if (!pick(o)) {
                continue;
            }
            std::string names =
                o.shortName.empty() ? "    " + o.longName : o.shortName + ", " + o.longName;
            if (!o.valueName.empty()) {
                names += " " + o.valueName;
            }
            out += fmt::format("  {:<28} {}\n", names, o.help);
        }
    };
    if (!action.empty()) {
        for (const auto& a : actions()) {
            if (a.name == action) {
                out += fmt::format("usage: foreverctl {}\n\n{}\n", a.usage, a.summary);
            }
        }
        bool any = false;
        for (const auto& o : optionTable()) {
            any = any || (!o.actions.empty() &&
                          std::find(o.actions.begin(), o.actions.end(), action) != o.actions.end());
        }
        if (any) {
            out += "\noptions:\n";
            optionLines([&](const OptionInfo& o) {
                return std::find(o.actions.begin(), o.actions.end(), action) != o.actions.end();
            });
        }
        if (action == "start") {
            out +=
                "\nEverything after SCRIPT is passed to the script. Unknown kebab-case options\n"
                "before SCRIPT (--max-old-space-size=1024, --inspect) go to the interpreter.\n";
        }
        if (action == "reload") {
            out +=
                "\nThe new run is ready when it sends READY=1 (with --wait-ready); otherwise\n"
                "when it has stayed up for minUptime and, with --health-url, answers 2xx.\n"
                "If it dies or is not ready within --reloadTimeout, it is stopped, the old\n"
                "run keeps serving and reload fails (exit 1). Both runs are alive for a while:\n"
                "a server must share its port (SO_REUSEPORT, or node's cluster).\n";
        }
        if (action == "stop" || action == "restart" || action == "reload" || action == "logs") {
            out += "\nTARGET is an index from 'list', a uid, or a script path or file name.\n";
        }
        return out;
    }
    out +=
        "usage: foreverctl [options] ACTION [options] [SCRIPT|TARGET] [args...]\n\n"
        "Keeps programs running: restarts them when they exit, keeps their logs.\n"
        "Talks to foreverd over D-Bus (systemctl --user start forever).\n\nactions:\n";
    for (const auto& a : actions()) {
        out += fmt::format("  {:<34} {}\n", a.usage, a.summary);
    }
    out += "\noptions:\n";
    optionLines([](const OptionInfo& o) { return o.actions.empty(); });
    out += "\nstart options: foreverctl help start\n";
    return out;
}

}  // namespace forever::cli
