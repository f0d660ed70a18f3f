#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "testing/temp_dir.hpp"
#include "weblink/web_link.hpp"

using namespace forever::web;

TEST_CASE("webTokenPath: per user under XDG_RUNTIME_DIR, /run/forever in system mode") {
    CHECK(webTokenPath(false, "/run/user/1000") == "/run/user/1000/forever/web-token");
    CHECK(webTokenPath(true, nullptr) == "/run/forever/web-token");
    CHECK_FALSE(webTokenPath(false, nullptr));
    CHECK_FALSE(webTokenPath(false, ""));
}

TEST_CASE("dashboardUrl: fragment on loopback, query elsewhere, wildcard shown as loopback") {
    CHECK(dashboardUrl("127.0.0.1:9615", "abc") == "http://127.0.0.1:9615/#token=abc");
    CHECK(dashboardUrl("[::1]:8080", "abc") == "http://[::1]:8080/#token=abc");
    CHECK(dashboardUrl("0.0.0.0:9615", "abc") == "http://127.0.0.1:9615/#token=abc");
    CHECK(dashboardUrl("192.168.1.5:9615", "abc") == "http://192.168.1.5:9615/?token=abc");
    CHECK(dashboardUrl("localhost:9615", "") == "http://127.0.0.1:9615/");
}

TEST_CASE("ensureWebToken creates a 0600 token once and reads it back") {
    forever::test::TempDir dir{"forever-web-token"};
    const std::string path = (dir.path / "forever" / "web-token").string();
    CHECK_FALSE(readWebToken(path));
    const std::string token = ensureWebToken(path);
    CHECK(token.size() == 64);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat((dir.path / "forever").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK(ensureWebToken(path) == token);
    CHECK(readWebToken(path) == token);
    std::ofstream(path, std::ios::trunc) << "";
    CHECK_THROWS_AS(readWebToken(path), TokenError);
}
