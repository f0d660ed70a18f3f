#include <doctest/doctest.h>

#include "core/target.hpp"

using namespace forever;

namespace {
const std::vector<TargetCandidate> kTable{
    {"api-server", "/srv/api/server.js", ""},
    {"worker", "/srv/worker/processor.js", ""},
    {"web", "/srv/web/server.js", ""},
    {"42", "/srv/odd/app.js", ""},
};
}

TEST_CASE("a number is the index from list") {
    CHECK(resolveTarget("0", kTable) == std::vector<size_t>{0});
    CHECK(resolveTarget("2", kTable) == std::vector<size_t>{2});
    CHECK(resolveTarget("9", kTable).empty());
}

TEST_CASE("a uid matches exactly one process") {
    CHECK(resolveTarget("worker", kTable) == std::vector<size_t>{1});
    CHECK(resolveTarget("work", kTable).empty());
}

TEST_CASE("a script name matches every process running it") {
    CHECK(resolveTarget("server.js", kTable) == std::vector<size_t>{0, 2});
    CHECK(resolveTarget("api/server.js", kTable) == std::vector<size_t>{0});
    CHECK(resolveTarget("/srv/web/server.js", kTable) == std::vector<size_t>{2});
    CHECK(resolveTarget("rver.js", kTable).empty());  // not a path component
}

TEST_CASE("relative paths resolve against the caller's directory") {
    CHECK(resolveTarget("./server.js", kTable, "/srv/web") == std::vector<size_t>{2});
    CHECK(resolveTarget("../api/server.js", kTable, "/srv/web") == std::vector<size_t>{0});
}

TEST_CASE("empty target matches nothing") {
    CHECK(resolveTarget("", kTable).empty());
}

TEST_CASE("a group name means every member; a member uid or index still means one") {
    const std::vector<TargetCandidate> table{
        {"web", "/srv/web/server.js", ""},          {"api-0", "/srv/api/server.js", "api"},
        {"worker", "/srv/worker/processor.js", ""}, {"api-1", "/srv/api/server.js", "api"},
        {"api-2", "/srv/api/server.js", "api"},
    };
    CHECK(resolveTarget("api", table) == std::vector<size_t>{1, 3, 4});
    CHECK(resolveTarget("api-1", table) == std::vector<size_t>{3});
    CHECK(resolveTarget("3", table) == std::vector<size_t>{3});
    CHECK(resolveTarget("ap", table).empty());
    CHECK(resolveTarget("web", table) == std::vector<size_t>{0});
    // A script name still means every process running it, grouped or not.
    CHECK(resolveTarget("server.js", table) == std::vector<size_t>{0, 1, 3, 4});
}

TEST_CASE("a process outside any group is never matched by the empty group") {
    const std::vector<TargetCandidate> table{{"a", "/a.js", ""}, {"b", "/b.js", "g"}};
    CHECK(resolveTarget("g", table) == std::vector<size_t>{1});
    CHECK(resolveTarget("", table).empty());
}
