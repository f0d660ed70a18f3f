#include <doctest/doctest.h>

#include "cli/start_options.hpp"

using namespace forever::cli;

TEST_CASE("--env NAME and --env KEY=VALUE") {
    auto profile = parseEnvSetting("production");
    CHECK(profile.profile);
    CHECK(profile.key == "NODE_ENV");
    CHECK(profile.value == "production");
    auto kv = parseEnvSetting("A=b=c");
    CHECK_FALSE(kv.profile);
    CHECK(kv.key == "A");
    CHECK(kv.value == "b=c");
}

TEST_CASE("kebab-case options look like the interpreter's; forever's are camelCase") {
    CHECK(looksLikeInterpreterFlag("--max-old-space-size=1024"));
    CHECK(looksLikeInterpreterFlag("--inspect"));
    CHECK_FALSE(looksLikeInterpreterFlag("--minUptime"));
    CHECK_FALSE(looksLikeInterpreterFlag("-i"));
    CHECK_FALSE(looksLikeInterpreterFlag("--=x"));
}

TEST_CASE("every start option applies to start only") {
    for (const auto& o : startOptions()) {
        CHECK(o.info.actions == std::vector<std::string>{"start"});
    }
}
