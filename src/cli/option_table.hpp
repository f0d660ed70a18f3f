#pragma once
// Every option foreverctl knows, in one table: the parser reads it, and
// --help and shell completion are generated from it, so they cannot drift.
#include <string>
#include <vector>

#include "cli/args.hpp"

namespace forever::cli {

// How an option's value is read and where it lands (option_values.cpp).
enum class OptionKind {
    Flag,  // no value: sets `field` of the Invocation, or spec[key] = true
    String,
    List,
    Millis,
    Integer,
    Bytes,
    Seconds,
    Signal,
    Env,
    Lines,
    Parallel,
    Remote,  // -H, --hosts, --machine: the Invocation field named by key
};

struct OptionInfo {
    std::string longName;   // "--minUptime"
    std::string shortName;  // "-m" or ""
    std::string valueName;  // "MS" or "" for a flag
    std::string help;
    std::vector<std::string> actions;  // empty: global
};

struct Option {
    OptionInfo info;
    OptionKind kind;
    std::string key;                    // the spec key it sets, if any
    bool Invocation::*field = nullptr;  // the Invocation flag it sets, if any
};

// Global options first, then each action's; the order is --help's.
const std::vector<Option>& options();
const std::vector<OptionInfo>& optionTable();

// By long or short name; nullptr when unknown.
const Option* findOption(const std::string& name);
// Global options apply everywhere (even before the action: action "").
bool appliesTo(const OptionInfo& o, const std::string& action);
std::vector<std::string> optionNames();

}  // namespace forever::cli
