#pragma once
// `foreverctl start`'s options and the rules only start has: --env's two
// forms, and which unknown options belong to the interpreter.
#include <string>
#include <vector>

#include "cli/option_table.hpp"

namespace forever::cli {

// start's rows of the option table, in --help order.
const std::vector<Option>& startOptions();

// What --env means: "NAME" sets NODE_ENV=NAME (and picks env_NAME in a
// config); "KEY=VALUE" sets one variable. Returns {key, value, isProfile}.
struct EnvSetting {
    std::string key;
    std::string value;
    bool profile = false;
};
EnvSetting parseEnvSetting(const std::string& text);

// node's own flags are kebab-case (--max-old-space-size=1024, --inspect);
// forever's options are camelCase. An unknown kebab-case option before the
// script is therefore handed to the interpreter, unless it is a near miss
// of one of ours, which is far more likely a typo (the parser checks that).
bool looksLikeInterpreterFlag(const std::string& word);

}  // namespace forever::cli
