#include <doctest/doctest.h>

#include <set>

#include "cli/option_table.hpp"
#include "cli/verbs.hpp"
#include "testing/error_text.hpp"

using namespace forever::cli;

namespace {
std::string usageError(const std::function<void()>& f) {
    return forever::testing::errorText<UsageError>(f);
}
}  // namespace

TEST_CASE("verbs are found by their exact name") {
    REQUIRE(findVerb("stop"));
    CHECK(findVerb("stop")->usage == "stop TARGET");
    CHECK(&verbNamed("list") == findVerb("list"));
    CHECK_FALSE(findVerb("STOP"));
    CHECK_FALSE(findVerb(""));
}

TEST_CASE("an unknown verb is refused with the closest name") {
    CHECK(usageError([] { verbNamed("lsit"); }) == "unknown action 'lsit' (did you mean list?)");
    CHECK(usageError([] { verbNamed("frobnicate"); }) == "unknown action 'frobnicate'");
    Invocation inv;
    inv.action = "stpo";
    CHECK(usageError([&] { runVerb(inv, Output{}); }) ==
          "unknown action 'stpo' (did you mean stop?)");
}

TEST_CASE("help is answered by the parser; it has nothing to run") {
    Invocation inv;
    inv.action = "help";
    CHECK(usageError([&] { runVerb(inv, Output{}); }) != "no error");
}

TEST_CASE("the verb table is well formed") {
    std::set<std::string> names;
    for (const auto& v : verbTable()) {
        CHECK(names.insert(v.name).second);
        CHECK(v.usage.rfind(v.name, 0) == 0);
        CHECK(v.minOperands <= v.maxOperands);
        CHECK((v.run != nullptr) == (v.name != "help"));
    }
    // Every option that names an action names one of the table's.
    for (const auto& o : optionTable()) {
        for (const auto& a : o.actions) {
            CHECK(findVerb(a));
        }
    }
}

TEST_CASE("options apply to their actions, globals to all") {
    const Option* json = findOption("--json");
    const Option* max = findOption("-m");
    REQUIRE(json);
    REQUIRE(max);
    CHECK(max->info.longName == "--max");
    CHECK(appliesTo(json->info, ""));
    CHECK(appliesTo(json->info, "list"));
    CHECK(appliesTo(max->info, "start"));
    CHECK_FALSE(appliesTo(max->info, "list"));
    CHECK_FALSE(appliesTo(max->info, ""));
}
