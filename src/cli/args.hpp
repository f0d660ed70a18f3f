#pragma once
// foreverctl's command line, forever-compatible: global options, an action,
// its options, then (for start) the script and everything after it, which
// belongs to the script. Pure: no I/O, so every rule is unit-tested.
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace forever::cli {

// A command line the user must fix; printed as one line, exit code 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

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
};

Invocation parseArgs(const std::vector<std::string>& argv);

// What --env means: "NAME" sets NODE_ENV=NAME (and picks env_NAME in a
// config); "KEY=VALUE" sets one variable. Returns {key, value, isProfile}.
struct EnvSetting {
    std::string key;
    std::string value;
    bool profile = false;
};
EnvSetting parseEnvSetting(const std::string& text);

// Help and shell completion are generated from the same tables the parser
// uses, so they cannot drift apart.
struct ActionInfo {
    std::string name;
    std::string usage;    // "stop TARGET"
    std::string summary;  // one line
    unsigned minOperands = 0;
    unsigned maxOperands = 0;
};
struct OptionInfo {
    std::string longName;   // "--minUptime"
    std::string shortName;  // "-m" or ""
    std::string valueName;  // "MS" or "" for a flag
    std::string help;
    std::vector<std::string> actions;  // empty: global
};
const std::vector<ActionInfo>& actionTable();
const std::vector<OptionInfo>& optionTable();
std::string helpText(const std::string& action = "");

// Edit distance, for "did you mean" hints.
size_t editDistance(const std::string& a, const std::string& b);
// The name in `names` closest to `word`, if any is within 2 edits.
std::optional<std::string> closestMatch(const std::string& word,
                                        const std::vector<std::string>& names);

}  // namespace forever::cli
