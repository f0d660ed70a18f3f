#include <doctest/doctest.h>

#include "core/target.hpp"

using namespace forever;

namespace {
const std::vector<TargetCandidate> kTable{
    {"api-server", "/srv/api/server.js"},
    {"worker", "/srv/worker/processor.js"},
    {"web", "/srv/web/server.js"},
    {"42", "/srv/odd/app.js"},
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
