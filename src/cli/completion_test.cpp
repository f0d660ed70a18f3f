#include <doctest/doctest.h>

#include <algorithm>

#include "cli/completion.hpp"

using namespace forever::cli;

namespace {
bool has(const std::vector<std::string>& words, const std::string& w) {
    return std::find(words.begin(), words.end(), w) != words.end();
}
}  // namespace

TEST_CASE("completion offers the verbs, and each verb's options") {
    auto verbs = completionWords({"__complete", "actions"});
    CHECK(has(verbs, "start"));
    CHECK(has(verbs, "help"));
    auto global = completionWords({"__complete", "options"});
    CHECK(has(global, "--json"));
    CHECK_FALSE(has(global, "--minUptime"));
    auto start = completionWords({"__complete", "options", "start"});
    CHECK(has(start, "--json"));
    CHECK(has(start, "--minUptime"));
    CHECK(has(start, "-m"));
    CHECK_FALSE(has(start, "--follow"));
    auto logs = completionWords({"__complete", "options", "logs"});
    CHECK(has(logs, "-f"));
    CHECK_FALSE(has(logs, "-m"));
    CHECK(completionWords({"__complete", "nonsense"}).empty());
}
