#pragma once
// The one table of foreverctl's verbs ("actions" in --help): name, operands,
// help, and the function that runs it. The parser checks operands against
// it, --help and completion list it, main() dispatches through it.
//
// Adding a verb: write verb_<name>.cpp with its `int run<Name>(const
// Invocation&, const Output&)`, declare that below, add one row to
// verbTable() in verbs.cpp, and the file to cli_sources in meson.build.
// Options only it takes go in the option table with its name in `actions`.
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/bus_client.hpp"
#include "cli/output.hpp"

namespace forever::cli {

// What the parser does with a verb's operands beyond counting them.
enum class Operands {
    Plain,
    // The first operand is a script: every word after it is the script's,
    // and unknown kebab-case options before it go to the interpreter.
    Script,
    // Process ids: "-5" is an operand (and refused), not an option.
    Pid,
    // A count that may be relative: "-2" is an operand (scale GROUP -2).
    Count,
};

using VerbFunction = int (*)(const Invocation&, const Output&);

struct Verb {
    std::string name;
    std::string usage;    // "stop TARGET"
    std::string summary;  // one line
    unsigned minOperands = 0;
    unsigned maxOperands = 0;
    VerbFunction run = nullptr;  // nullptr only for `help`, which the parser answers
    Operands operands = Operands::Plain;
    std::string notes{};  // paragraphs that end `foreverctl help NAME`
};

// In --help order.
const std::vector<Verb>& verbTable();
const Verb* findVerb(const std::string& name);
// The verb called `word`; an unknown one is a UsageError with a hint.
const Verb& verbNamed(const std::string& word);
std::vector<std::string> verbNames();

// Runs inv.action's function.
int runVerb(const Invocation& inv, const Output& out);

// Entry points, one file each (or per small family).
int runStart(const Invocation& inv, const Output& out);       // verb_start.cpp
int runList(const Invocation& inv, const Output& out);        // verb_list.cpp
int runStatus(const Invocation& inv, const Output& out);      // verb_status.cpp
int runMonit(const Invocation& inv, const Output& out);       // verb_monit.cpp
int runStop(const Invocation& inv, const Output& out);        // verb_control.cpp
int runStopAll(const Invocation& inv, const Output& out);     // verb_control.cpp
int runRestart(const Invocation& inv, const Output& out);     // verb_control.cpp
int runRestartAll(const Invocation& inv, const Output& out);  // verb_control.cpp
int runReload(const Invocation& inv, const Output& out);      // verb_control.cpp
int runStopByPid(const Invocation& inv, const Output& out);   // verb_control.cpp
int runScale(const Invocation& inv, const Output& out);       // verb_group.cpp
// reload GROUP: the rolling reload, each member's steps printed as they
// happen (verb_group.cpp); runReload hands a group name over to it.
int reloadGroup(const Invocation& inv, const Output& out, BusClient& client,
                const std::string& group);
// Whether `target` is a group's name rather than a process's uid.
bool isGroupName(BusClient& client, const std::string& target);
int runLogs(const Invocation& inv, const Output& out);       // verb_logs.cpp
int runCleanLogs(const Invocation& inv, const Output& out);  // verb_logs.cpp
int runColumns(const Invocation& inv, const Output& out);    // verb_settings.cpp
int runConfig(const Invocation& inv, const Output& out);     // verb_settings.cpp
int runSet(const Invocation& inv, const Output& out);        // verb_settings.cpp
int runClear(const Invocation& inv, const Output& out);      // verb_settings.cpp
int runWeb(const Invocation& inv, const Output& out);        // verb_web.cpp

}  // namespace forever::cli
