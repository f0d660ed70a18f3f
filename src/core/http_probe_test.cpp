#include <doctest/doctest.h>

#include "core/http_probe.hpp"

using namespace forever;

TEST_CASE("health URLs") {
    std::string error;
    auto u = parseHttpUrl("http://127.0.0.1:3000/health?deep=1", error);
    REQUIRE(u);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == 3000);
    CHECK(u->path == "/health?deep=1");
    u = parseHttpUrl("http://localhost", error);
    REQUIRE(u);
    CHECK(u->port == 80);
    CHECK(u->path == "/");
    CHECK_FALSE(parseHttpUrl("https://x/health", error));
    CHECK(error == "only http:// URLs are supported");
    CHECK_FALSE(parseHttpUrl("http://x:99999/", error));
    CHECK_FALSE(parseHttpUrl("http://x:abc/", error));
    CHECK_FALSE(parseHttpUrl("http:///health", error));
    CHECK_FALSE(parseHttpUrl("http://x/a b", error));
}

TEST_CASE("status lines") {
    CHECK(parseStatusLine("HTTP/1.1 200 OK") == 200);
    CHECK(parseStatusLine("HTTP/1.0 503 Service Unavailable") == 503);
    CHECK(parseStatusLine("HTTP/1.1 20") == 0);
    CHECK(parseStatusLine("SSH-2.0-OpenSSH") == 0);
    CHECK(parseStatusLine("") == 0);
}
