#include <doctest/doctest.h>

#include "core/systemd_names.hpp"

using namespace forever;

TEST_CASE("unit names are escaped as systemd-escape does") {
    CHECK(escapeUnitName("api") == "api");
    CHECK(escapeUnitName("api-0") == "api\\x2d0");
    CHECK(escapeUnitName("my app") == "my\\x20app");
    CHECK(escapeUnitName(".hidden.x") == "\\x2ehidden.x");
    CHECK(escapeUnitName("a:b_c") == "a:b_c");
    CHECK(escapeUnitName("é") == "\\xc3\\xa9");
}

TEST_CASE("a restart timer is named after its app or group, within systemd's length") {
    CHECK(restartUnitBase("web") == "forever-restart-web");
    std::string longName(200, '-');  // every byte escapes to four
    std::string base = restartUnitBase(longName);
    CHECK(base.size() + std::string(".service").size() <= 255);
    CHECK(base == restartUnitBase(longName));  // the same name finds the same unit
    CHECK(base != restartUnitBase(longName + "x"));
}
