#include <doctest/doctest.h>

#include "web/web_options.hpp"

using namespace forever::web;

TEST_CASE("forever-web options") {
    auto o = parseWebOptions({"--listen", "127.0.0.1:8080", "--idle-exit", "5", "--system"});
    REQUIRE(o.listen);
    CHECK(o.listen->port == 8080);
    CHECK(o.idleExitSeconds == 5u);
    CHECK(o.system);
    CHECK_FALSE(parseWebOptions({}).listen);
    CHECK(parseWebOptions({"--listen", "[::1]:9"}).listen->hostPort() == "[::1]:9");
    CHECK(parseWebOptions({"--listen", "localhost:9615"}).listen->host == "127.0.0.1");
    CHECK_THROWS_AS(parseWebOptions({"--listen"}), UsageError);
    CHECK_THROWS_AS(parseWebOptions({"--listen", "example.com:80"}), UsageError);
    CHECK_THROWS_AS(parseWebOptions({"--listen", "127.0.0.1:0"}), UsageError);
    CHECK_THROWS_AS(parseWebOptions({"--listen", "127.0.0.1"}), UsageError);
    CHECK_THROWS_AS(parseWebOptions({"--idle-exit", "soon"}), UsageError);
    CHECK_THROWS_AS(parseWebOptions({"--bogus"}), UsageError);
}
