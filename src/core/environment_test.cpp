#include "core/environment.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

using forever::currentEnvironment;

TEST_CASE("currentEnvironment holds this process's variables, values with '=' intact") {
    ::setenv("FOREVER_ENV_TEST", "a=b=c", 1);
    ::setenv("FOREVER_ENV_EMPTY", "", 1);
    auto env = currentEnvironment();
    CHECK(env.at("FOREVER_ENV_TEST") == "a=b=c");
    CHECK(env.at("FOREVER_ENV_EMPTY").empty());
    ::unsetenv("FOREVER_ENV_TEST");
    CHECK(currentEnvironment().count("FOREVER_ENV_TEST") == 0);
}
