#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <vector>

#include "core/metrics.hpp"

using namespace forever;
using namespace std::chrono_literals;

TEST_CASE("SampleRing keeps the last 100 samples and averages them") {
    SampleRing ring;
    for (int i = 1; i <= 150; ++i) {
        ring.push(Sample{{}, static_cast<uint64_t>(i) * 1000, static_cast<double>(i)});
    }
    CHECK(ring.size() == 100);
    CHECK(ring.latest().rssBytes == 150000);
    // 51..150 remain: average 100.5
    CHECK(ring.averageCpu() == doctest::Approx(100.5));
    CHECK(ring.averageRss() == 100500);
    std::vector<uint64_t> order;
    ring.forEach([&](const Sample& s) { order.push_back(s.rssBytes); });
    REQUIRE(order.size() == 100);
    CHECK(order.front() == 51000);  // oldest first, across the wrap
    CHECK(order.back() == 150000);
    ring.clear();
    CHECK(ring.size() == 0);
    CHECK(ring.averageCpu() == 0);
}

TEST_CASE("cpuPercent") {
    CHECK(cpuPercent(100, 150, 1s, 100) == doctest::Approx(50));
    CHECK(cpuPercent(100, 400, 1s, 100) == doctest::Approx(300));  // threads
    CHECK(cpuPercent(150, 100, 1s, 100) == 0);                     // a child took its ticks away
    CHECK(cpuPercent(100, 150, 0s, 100) == 0);
}

TEST_CASE("MetricsTable: CPU from the delta, reset on a new pid") {
    MetricsTable table;
    auto t0 = std::chrono::steady_clock::time_point(10s);
    CHECK(table.record("a", 10, TreeUsage{1000, 100, 1}, t0, 100).cpuPercent == 0);
    CHECK(table.record("a", 10, TreeUsage{2000, 150, 1}, t0 + 1s, 100).cpuPercent ==
          doctest::Approx(50));
    CHECK(table.ring("a")->latest().cpuNsec == 1500000000);  // 150 ticks at 100 Hz
    // restarted: pid 11's ticks are not comparable with pid 10's
    CHECK(table.record("a", 11, TreeUsage{3000, 5, 1}, t0 + 2s, 100).cpuPercent == 0);
    REQUIRE(table.ring("a"));
    CHECK(table.ring("a")->size() == 3);
    CHECK(table.ring("a")->averageRss() == 2000);
    table.forget("a");
    CHECK(table.ring("a") == nullptr);
}

TEST_CASE("treeUsage sums a real tree, children included") {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::setpgid(0, 0);  // one group, so one kill ends both
        // A grandchild too, then report readiness and wait to be killed.
        pid_t grandchild = ::fork();
        if (grandchild == 0) {
            ::pause();
            ::_exit(0);
        }
        (void)!::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    TreeUsage usage = treeUsage(child);
    CHECK(usage.processes == 2);
    CHECK(usage.rssBytes > 0);
    TreeUsage self = treeUsage(::getpid());
    CHECK(self.processes == 3);
    CHECK(treeUsage(999999999).processes == 0);
    ::kill(-child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
}
