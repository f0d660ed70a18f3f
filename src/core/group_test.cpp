#include <doctest/doctest.h>

#include <stdexcept>

#include "core/group.hpp"

using namespace forever;

TEST_CASE("members are named GROUP-INDEX, and only such uids are members") {
    CHECK(memberUid("api", 3) == "api-3");
    CHECK(memberIndex("api", "api-3") == 3u);
    CHECK(memberIndex("api", "api-12") == 12u);
    CHECK_FALSE(memberIndex("api", "api-"));
    CHECK_FALSE(memberIndex("api", "api-x"));
    CHECK_FALSE(memberIndex("api", "api-03"));
    CHECK_FALSE(memberIndex("api", "apix-3"));
    CHECK_FALSE(memberIndex("api", "web-3"));
    CHECK(memberIndex("my-app", "my-app-0") == 0u);
}

TEST_CASE("a group may not share its name with another process's uid, either way") {
    std::vector<GroupedName> table{{"web", ""}, {"api-0", "api"}, {"api-1", "api"}};
    CHECK(groupConflict("web-0", "web", table).find("already the uid of a process") !=
          std::string::npos);
    CHECK(groupConflict("api", "", table).find("is the name of a group") != std::string::npos);
    CHECK(groupConflict("api-2", "api", table).empty());  // scaling the group itself
    CHECK(groupConflict("worker-0", "worker", table).empty());
    CHECK(groupConflict("other", "", table).empty());
    CHECK(groupConflict("7-0", "7", {}).find("index") != std::string::npos);
}

TEST_CASE("scale adds the lowest free indices and stops the highest") {
    CHECK(planScale({0, 1, 2}, "5").add == std::vector<unsigned>{3, 4});
    CHECK(planScale({0, 1, 2}, "5").stop.empty());
    CHECK(planScale({0, 2}, "+2").add == std::vector<unsigned>{1, 3});
    CHECK(planScale({0, 1, 2, 3}, "-2").stop == std::vector<unsigned>{3, 2});
    CHECK(planScale({0, 1, 2, 3}, "1").stop == std::vector<unsigned>{3, 2, 1});
    auto same = planScale({0, 1}, "2");
    CHECK(same.add.empty());
    CHECK(same.stop.empty());
}

TEST_CASE("scale refuses what is not a count, an empty group and more than 1000") {
    CHECK_THROWS_AS(planScale({0}, ""), std::invalid_argument);
    CHECK_THROWS_AS(planScale({0}, "x"), std::invalid_argument);
    CHECK_THROWS_AS(planScale({0}, "+"), std::invalid_argument);
    CHECK_THROWS_AS(planScale({0}, "2.5"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(planScale({0, 1}, "-2"), doctest::Contains("at least one member"),
                         std::invalid_argument);
    CHECK_THROWS_AS(planScale({0}, "0"), std::invalid_argument);
    CHECK_THROWS_AS(planScale({0}, "1001"), std::invalid_argument);
    CHECK_THROWS_AS(planScale({0, 1}, "+1000"), std::invalid_argument);
}
