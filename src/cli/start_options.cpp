#include "cli/start_options.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace forever::cli {

namespace {
const std::vector<std::string> kStart{"start"};
}  // namespace

const std::vector<Option>& startOptions() {
    static const std::vector<Option> table{
        {{"--uid", "", "NAME", "name of the process (default: script name)", kStart},
         OptionKind::String,
         "uid"},
        {{"--max", "-m", "N", "give up after N restarts", kStart}, OptionKind::Integer, "max"},
        {{"--minUptime", "", "MS", "shorter runs count as spinning (default 1000)", kStart},
         OptionKind::Millis,
         "minUptime"},
        {{"--spinSleepTime", "", "MS", "wait this long before restarting a spinning process",
          kStart},
         OptionKind::Millis,
         "spinSleepTime"},
        {{"--restart", "", "WHEN", "always | on-failure | no (default always)", kStart},
         OptionKind::String,
         "restart"},
        {{"--restartDelay", "", "MS", "first restart delay; doubles on repeated crashes", kStart},
         OptionKind::Millis,
         "restartDelay"},
        {{"--restartDelayMax", "", "MS", "cap of the restart back-off (default 15000)", kStart},
         OptionKind::Millis,
         "restartDelayMax"},
        {{"--backoffResetAfter", "", "MS", "an uptime this long forgets past crashes (30000)",
          kStart},
         OptionKind::Millis,
         "backoffResetAfter"},
        {{"--crashLoopBurst", "", "N", "crashes within the interval that mean a crash loop (5)",
          kStart},
         OptionKind::Integer,
         "crashLoopBurst"},
        {{"--crashLoopInterval", "", "MS", "the crash-loop window (default 300000)", kStart},
         OptionKind::Millis,
         "crashLoopInterval"},
        {{"--command", "-c", "COMMAND", "interpreter (default node for .js)", kStart},
         OptionKind::String,
         "command"},
        {{"--sourceDir", "", "DIR", "directory the script path is relative to", kStart},
         OptionKind::String,
         "sourceDir"},
        {{"--workingDir", "", "DIR", "working directory of the process", kStart},
         OptionKind::String,
         "workingDir"},
        {{"--env", "", "NAME|K=V", "NODE_ENV=NAME, or set one variable (repeatable)", kStart},
         OptionKind::Env,
         "env"},
        {{"--logFile", "-l", "FILE", "combined stdout+stderr log file", kStart},
         OptionKind::String,
         "logFile"},
        {{"--outFile", "-o", "FILE", "stdout log file", kStart}, OptionKind::String, "outFile"},
        {{"--errFile", "-e", "FILE", "stderr log file", kStart}, OptionKind::String, "errFile"},
        {{"--path", "-p", "DIR", "base directory of relative log files", kStart},
         OptionKind::String,
         "path"},
        {{"--append", "-a", "", "append to log files instead of truncating", kStart},
         OptionKind::Flag,
         "append"},
        {{"--timestamp", "-t", "", "prefix log lines with a timestamp", kStart},
         OptionKind::Flag,
         "timestamp"},
        {{"--silent", "-s", "", "discard the output", kStart}, OptionKind::Flag, "silent"},
        {{"--logMaxBytes", "", "SIZE",
          "rotate log files at this size: 10M (default), 512K, 0 = never", kStart},
         OptionKind::Bytes,
         "logMaxBytes"},
        {{"--logKeep", "", "N", "rotated log files to keep (default 5)", kStart},
         OptionKind::Integer,
         "logKeep"},
        {{"--logMaxAge", "", "AGE", "delete rotated logs older than this: 30d (default), 12h",
          kStart},
         OptionKind::Seconds,
         "logMaxAge"},
        {{"--instances", "-i", "N", "run N copies (uid-0..), FOREVER_INSTANCE set in each", kStart},
         OptionKind::Integer,
         "instances"},
        {{"--wait-ready", "", "", "stay 'starting' until the app sends READY=1 (sd_notify)",
          kStart},
         OptionKind::Flag,
         "waitReady"},
        {{"--watchdog", "", "SEC", "kill and restart the app without WATCHDOG=1 for SEC s", kStart},
         OptionKind::Integer,
         "watchdogSec"},
        {{"--health-url", "", "URL", "GET it every interval; restart after failures (http://)",
          kStart},
         OptionKind::String,
         "healthUrl"},
        {{"--health-interval", "", "SEC", "seconds between health checks (default 10)", kStart},
         OptionKind::Integer,
         "healthInterval"},
        {{"--health-failures", "", "N", "failed checks in a row that restart it (default 3)",
          kStart},
         OptionKind::Integer,
         "healthFailures"},
        {{"--listen", "", "[HOST:]PORT",
          "bind this TCP port once; every run gets it as fd 3 (LISTEN_FDS)", kStart},
         OptionKind::String,
         "listen"},
        {{"--restart-at", "", "CALENDAR",
          "restart at these times (systemd calendar: daily, '*:0/15'; a group rolls)", kStart},
         OptionKind::String,
         "restartAt"},
        {{"--reloadTimeout", "", "MS", "how long reload waits for the new run (default 30000)",
          kStart},
         OptionKind::Millis,
         "reloadTimeout"},
        {{"--maxMemory", "", "SIZE", "restart when the tree's RSS goes above (e.g. 300M)", kStart},
         OptionKind::Bytes,
         "maxMemory"},
        {{"--killSignal", "", "SIG", "signal that stops the process (default SIGTERM)", kStart},
         OptionKind::Signal,
         "killSignal"},
        {{"--killTimeout", "", "MS", "SIGKILL after this long (default 5000)", kStart},
         OptionKind::Millis,
         "killTimeout"},
        {{"--killTree", "", "", "stop every descendant too", kStart}, OptionKind::Flag, "killTree"},
        {{"--pidFile", "", "FILE", "write the pid here", kStart}, OptionKind::String, "pidFile"},
        {{"--alertCommand", "", "CMD", "run by /bin/sh when a crash loop starts", kStart},
         OptionKind::String,
         "alertCommand"},
        {{"--watch", "-w", "", "restart when a file changes (inotify)", kStart},
         OptionKind::Flag,
         "watch"},
        {{"--watchDirectory", "", "DIR", "directory to watch (default: the script's)", kStart},
         OptionKind::String,
         "watchDirectory"},
        {{"--watchIgnore", "", "GLOB", "changes to ignore (repeatable; also .foreverignore)",
          kStart},
         OptionKind::List,
         "watchIgnorePatterns"},
    };
    return table;
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

}  // namespace forever::cli
