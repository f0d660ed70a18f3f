#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/shared_environment.hpp"

namespace forever {

using Millis = std::chrono::milliseconds;

enum class RestartMode { Always, OnFailure, No };
std::string toString(RestartMode mode);
std::optional<RestartMode> parseRestartMode(const std::string& text);

// Everything needed to (re)start one supervised process. This is what the
// state store persists and what a restored daemon starts again: a spec, never
// a pid. Keys in JSON are forever.json's camelCase names.
struct ProcessSpec {
    std::string uid;
    std::string script;                 // absolute path of the script or program
    std::string command;                // interpreter ("node"); empty: run the script itself
    std::vector<std::string> args;      // to the script
    std::vector<std::string> nodeArgs;  // to the interpreter, before the script
    std::string sourceDir;
    std::string workingDir;
    SharedEnvironment env;  // the child's whole environment

    std::string logFile;  // combined stdout+stderr
    std::string outFile;
    std::string errFile;
    bool append = false;
    bool timestamp = false;
    bool silent = false;
    uint64_t logMaxBytes = 10 * 1024 * 1024;
    unsigned logKeep = 5;
    std::chrono::seconds logMaxAge = std::chrono::hours(24 * 30);

    // forever's policy
    int max = -1;  // restarts before giving up; -1 = no limit
    Millis minUptime{1000};
    std::optional<Millis> spinSleepTime;
    // systemd's policy
    RestartMode restart = RestartMode::Always;
    Millis restartDelay{0};
    Millis restartDelayMax{15000};    // cap of the exponential back-off
    Millis backoffResetAfter{30000};  // an uptime this long forgets past failures
    unsigned crashLoopBurst = 5;
    Millis crashLoopInterval{5 * 60 * 1000};
    std::string alertCommand;  // run via /bin/sh -c when a crash loop starts

    // forever's watch mode: restart when a file under watchDirectory (default:
    // the script's directory) changes.
    bool watch = false;
    std::string watchDirectory;
    std::vector<std::string> watchIgnorePatterns;

    // The sd_notify protocol: stay "starting" until READY=1; without
    // WATCHDOG=1 for watchdogSec seconds the app is killed and restarted.
    bool waitReady = false;
    unsigned watchdogSec = 0;
    // HTTP health check: every healthInterval seconds a GET of healthUrl;
    // healthFailures non-2xx answers (or timeouts) in a row restart the app.
    std::string healthUrl;
    unsigned healthInterval = 10;
    unsigned healthFailures = 3;
    // "[HOST:]PORT": foreverd binds it and passes it to every run as fd 3
    // (LISTEN_FDS=1); see listen_socket.hpp.
    std::string listen;
    // How long `reload` waits for the new run to be ready before it stops
    // it and leaves the old one serving.
    Millis reloadTimeout{30000};
    // Scheduled restarts: a systemd calendar expression ("daily", "*:0/15").
    // foreverd hands it to a transient systemd timer, so systemd validates
    // and normalizes it (daemon/restart_timers.hpp); a group has one timer
    // that rolls the whole group.
    std::string restartAt;
    // The group this process belongs to: `start -i N --uid api` makes
    // api-0..api-(N-1) with group "api", and a TARGET "api" means them all.
    std::string group;

    uint64_t maxMemory = 0;  // bytes of RSS (whole tree) that trigger a restart; 0 = none

    int killSignal = SIGTERM;
    Millis killTimeout{5000};
    bool killTree = false;
    std::string pidFile;
    // System mode only: the user who started it, whose uid the process runs
    // as and who (besides root) may stop it. Set by foreverd, never a client.
    int64_t runAsUid = -1;

    // The argv executed: [command, nodeArgs..., script, args...] or
    // [script, args...].
    std::vector<std::string> argv() const;
};

// A spec that failed validation; `what()` names the key and the problem.
class SpecError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Builds a spec from forever.json-style keys. Unknown keys and wrong types
// are refused (SpecError), so a typo is never silently ignored.
ProcessSpec specFromJson(const nlohmann::json& object);
nlohmann::json specToJson(const ProcessSpec& spec);

// Checks one key of a spec on its own (unknown key, wrong type or range),
// so a config file can point at the exact key that is wrong.
void checkSpecKey(const std::string& key, const nlohmann::json& value);
// Every key specFromJson() accepts.
std::vector<std::string> specKeys();

// Checks what can be checked without spawning: the script exists, is a
// regular file, the interpreter resolves, the uid is printable. Throws
// SpecError with a message for the user.
void validateSpec(const ProcessSpec& spec);  // spec_validation.cpp

// "node" for .js/.mjs/.cjs scripts, empty (run directly) otherwise.
std::string defaultCommandFor(const std::string& script);

// A uid is a printable name without '/' and spaces at either end.
bool isValidUid(const std::string& uid);

}  // namespace forever
