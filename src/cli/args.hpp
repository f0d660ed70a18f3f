#pragma once
// foreverctl's command line, forever-compatible: global options, an action,
// its options, then (for start) the script and everything after it, which
// belongs to the script. Pure: no I/O, so every rule is unit-tested. What
// the actions and options are comes from their tables (verbs.hpp,
// option_table.hpp); this file only knows how a command line is read.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/usage_error.hpp"

namespace forever::cli {

struct Invocation {
    std::string action;                   // empty when only --help/--version was given
    std::vector<std::string> operands;    // TARGET, PID, SCRIPT (first)...
    std::vector<std::string> scriptArgs;  // start: everything after SCRIPT

    // Start options as forever.json keys (uid, max, minUptime, logFile...),
    // exactly what the daemon's Start() takes, minus the paths the CLI
    // resolves (script, workingDir, env).
    nlohmann::json spec = nlohmann::json::object();
    std::vector<std::string> envSettings;  // --env values, in order

    bool json = false;
    bool plain = false;
    bool noColor = false;
    bool forceColor = false;
    bool system = false;
    // Where: -H/--host (repeatable), --hosts FILE, --machine NAME.
    std::vector<std::string> hosts;
    std::string hostsFile;
    std::string machine;
    bool help = false;
    bool version = false;

    // logs
    bool follow = false;
    unsigned lines = 10;
    bool linesGiven = false;  // -n given (else the `lines` setting applies)

    // web
    bool open = false;
    // reload GROUP: members reloaded at once (0: one at a time)
    unsigned parallel = 0;
};

Invocation parseArgs(const std::vector<std::string>& argv);

}  // namespace forever::cli
