#include <doctest/doctest.h>

#include "cli/closest_match.hpp"

using namespace forever::cli;

TEST_CASE("edit distance ignores case") {
    CHECK(editDistance("minUptim", "minUptime") == 1);
    CHECK(editDistance("LIST", "list") == 0);
}

TEST_CASE("a hint only for a name within 2 edits") {
    const std::vector<std::string> names{"list", "logs", "stop"};
    CHECK(closestMatch("lsit", names) == "list");
    CHECK_FALSE(closestMatch("frobnicate", names));
    CHECK(didYouMean("lsit", names) == " (did you mean list?)");
    CHECK(didYouMean("frobnicate", names).empty());
}
