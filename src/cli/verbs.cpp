#include "cli/verbs.hpp"

#include <fmt/format.h>

#include "cli/closest_match.hpp"

namespace forever::cli {

namespace {

const char* const kTargetNote =
    "\nTARGET is an index from 'list', a uid, a group (the uid given to -i N: every\n"
    "member), or a script path or file name.\n";

const char* const kGroupReloadNote =
    "\nreload GROUP rolls: one member at a time (--parallel K), each one's old run\n"
    "stopped only once its new run is ready. The first member whose new run fails\n"
    "ends the roll; the others keep their old runs, and reload says why (exit 1).\n";

const char* const kScaleNote =
    "\nNew members copy the lowest-numbered one (GROUP-i, FOREVER_INSTANCE=i); the\n"
    "highest-numbered members are stopped first. A group keeps 1 to 1000.\n";

const char* const kStartNote =
    "\nEverything after SCRIPT is passed to the script. Unknown kebab-case options\n"
    "before SCRIPT (--max-old-space-size=1024, --inspect) go to the interpreter.\n";

const char* const kWebNote =
    "\nADDR:PORT is where forever-web listens (default 127.0.0.1:9615, the socket\n"
    "unit's). The token in the URL lets the page stop, restart and reload; it is\n"
    "kept in $XDG_RUNTIME_DIR/forever/web-token (with --system, /run/forever/web-token,\n"
    "readable by root only) and created there if forever-web has not run yet.\n";

const char* const kReloadNote =
    "\nThe new run is ready when it sends READY=1 (with --wait-ready); otherwise\n"
    "when it has stayed up for minUptime and, with --health-url, answers 2xx.\n"
    "If it dies or is not ready within --reloadTimeout, it is stopped, the old\n"
    "run keeps serving and reload fails (exit 1). Both runs are alive for a while:\n"
    "a server must share its port (SO_REUSEPORT, or node's cluster).\n";

}  // namespace

const std::vector<Verb>& verbTable() {
    static const std::vector<Verb> table{
        {"start", "start [options] SCRIPT [args...]", "start SCRIPT as a supervised process", 1, 1,
         runStart, Operands::Script, kStartNote},
        {"stop", "stop TARGET", "stop the process(es) TARGET names and forget them", 1, 1, runStop,
         Operands::Plain, kTargetNote},
        {"stopall", "stopall", "stop every process", 0, 0, runStopAll},
        {"restart", "restart TARGET", "restart the process(es) TARGET names", 1, 1, runRestart,
         Operands::Plain, kTargetNote},
        {"restartall", "restartall", "restart every process", 0, 0, runRestartAll},
        {"reload", "reload TARGET [--parallel K]",
         "replace without downtime: the new run starts, the old one stops once it is ready", 1, 1,
         runReload, Operands::Plain, std::string(kReloadNote) + kGroupReloadNote + kTargetNote},
        {"scale", "scale GROUP N|+K|-K", "add or stop members of a group", 2, 2, runScale,
         Operands::Count, kScaleNote},
        {"stopbypid", "stopbypid PID", "stop the supervised process with this pid", 1, 1,
         runStopByPid, Operands::Pid},
        {"list", "list [TARGET]", "show every process (or those TARGET names)", 0, 1, runList,
         Operands::Plain, kTargetNote},
        {"monit", "monit", "live view of every process (q quits)", 0, 0, runMonit},
        {"status", "status TARGET", "everything about one process, with CPU and memory", 1, 1,
         runStatus},
        {"logs", "logs [TARGET] [-f] [-n N]",
         "without TARGET: list log files; with it: show its output", 0, 1, runLogs, Operands::Plain,
         kTargetNote},
        {"cleanlogs", "cleanlogs", "delete log files no running process writes", 0, 0,
         runCleanLogs},
        {"web", "web [ADDR:PORT] [--open]", "print (or open) the dashboard URL of forever-web", 0,
         1, runWeb, Operands::Plain, kWebNote},
        {"columns", "columns add|rm|set COLUMN...", "choose the columns of list (remembered)", 2,
         64, runColumns},
        {"config", "config", "show foreverctl's settings", 0, 0, runConfig},
        {"set", "set KEY VALUE", "change a setting: columns, color (auto/always/never), lines", 2,
         2, runSet},
        {"clear", "clear KEY", "reset a setting to its default", 1, 1, runClear},
        {"help", "help [ACTION]", "show help", 0, 1},
    };
    return table;
}

const Verb* findVerb(const std::string& name) {
    for (const auto& v : verbTable()) {
        if (v.name == name) {
            return &v;
        }
    }
    return nullptr;
}

std::vector<std::string> verbNames() {
    std::vector<std::string> names;
    for (const auto& v : verbTable()) {
        names.push_back(v.name);
    }
    return names;
}

const Verb& verbNamed(const std::string& word) {
    if (const Verb* v = findVerb(word)) {
        return *v;
    }
    throw UsageError(fmt::format("unknown action '{}'{}", word, didYouMean(word, verbNames())));
}

int runVerb(const Invocation& inv, const Output& out) {
    const Verb& verb = verbNamed(inv.action);
    if (!verb.run) {
        // `help ACTION` becomes Invocation::help in the parser; main answers it.
        throw UsageError(fmt::format("'{}' is not run, it is answered by --help", verb.name));
    }
    return verb.run(inv, out);
}

}  // namespace forever::cli
