// The restart policy against a fake clock: every rule of forever and of
// systemd that decides whether and when a dead process comes back.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>

#include "core/restart_policy.hpp"

using namespace forever;
using namespace std::chrono_literals;

namespace {
struct FakeClock {
    SteadyTime now{};
    void advance(Millis d) { now += d; }
};

ProcessSpec defaults() {
    ProcessSpec s;
    s.script = "/srv/app.js";
    return s;
}

const ExitStatus kCrash = ExitStatus::exited(1);
}  // namespace

TEST_CASE("clean exit vs failure, as systemd classifies them") {
    CHECK(ExitStatus::exited(0).isClean());
    CHECK_FALSE(ExitStatus::exited(1).isClean());
    CHECK(ExitStatus::killed(SIGTERM).isClean());
    CHECK(ExitStatus::killed(SIGINT).isClean());
    CHECK(ExitStatus::killed(SIGHUP).isClean());
    CHECK(ExitStatus::killed(SIGPIPE).isClean());
    CHECK_FALSE(ExitStatus::killed(SIGKILL).isClean());
    CHECK_FALSE(ExitStatus::killed(SIGSEGV).isClean());
}

TEST_CASE("a process that stayed up is restarted at once, forever's default") {
    ProcessSpec s = defaults();
    RestartHistory h;
    FakeClock clock;
    auto d = decideRestart(s, h, kCrash, 5s, clock.now);
    CHECK(d.restart);
    CHECK(d.delay == 0ms);
    CHECK_FALSE(d.spinning);
    CHECK(h.restarts == 1);
}

TEST_CASE("spinning without spinSleepTime is not restarted") {
    ProcessSpec s = defaults();  // minUptime 1000 ms, no spinSleepTime
    RestartHistory h;
    FakeClock clock;
    auto d = decideRestart(s, h, kCrash, 200ms, clock.now);
    CHECK_FALSE(d.restart);
    CHECK(d.spinning);
    CHECK(d.reason.find("spinning") != std::string::npos);
    CHECK(h.restarts == 0);
}

TEST_CASE("spinning with spinSleepTime waits that long") {
    ProcessSpec s = defaults();
    s.spinSleepTime = 2500ms;
    RestartHistory h;
    FakeClock clock;
    auto d = decideRestart(s, h, kCrash, 200ms, clock.now);
    CHECK(d.restart);
    CHECK(d.spinning);
    CHECK(d.delay == 2500ms);
}

TEST_CASE("max restarts: gives up after exactly max restarts") {
    ProcessSpec s = defaults();
    s.max = 3;
    RestartHistory h;
    FakeClock clock;
    for (int i = 0; i < 3; ++i) {
        clock.advance(1min);
        CHECK(decideRestart(s, h, kCrash, 40s, clock.now).restart);
    }
    clock.advance(1min);
    auto d = decideRestart(s, h, kCrash, 40s, clock.now);
    CHECK_FALSE(d.restart);
    CHECK(d.reason == "reached the maximum of 3 restarts");
}

TEST_CASE("restart modes") {
    RestartHistory h;
    FakeClock clock;
    ProcessSpec s = defaults();
    SUBCASE("no never restarts") {
        s.restart = RestartMode::No;
        CHECK_FALSE(decideRestart(s, h, kCrash, 5s, clock.now).restart);
    }
    SUBCASE("on-failure skips clean exits, restarts failures") {
        s.restart = RestartMode::OnFailure;
        CHECK_FALSE(decideRestart(s, h, ExitStatus::exited(0), 5s, clock.now).restart);
        CHECK_FALSE(decideRestart(s, h, ExitStatus::killed(SIGTERM), 5s, clock.now).restart);
        CHECK(decideRestart(s, h, ExitStatus::killed(SIGKILL), 5s, clock.now).restart);
    }
    SUBCASE("always restarts clean exits too") {
        CHECK(decideRestart(s, h, ExitStatus::exited(0), 5s, clock.now).restart);
    }
}

TEST_CASE("exponential back-off doubles up to the cap and resets after a stable run") {
    ProcessSpec s = defaults();
    s.restartDelay = 100ms;
    s.restartDelayMax = 1000ms;
    s.crashLoopBurst = 100;  // keep the crash-loop rule out of this test
    RestartHistory h;
    FakeClock clock;
    std::vector<Millis> delays;
    for (int i = 0; i < 7; ++i) {
        clock.advance(2s);
        delays.push_back(decideRestart(s, h, kCrash, 1500ms, clock.now).delay);
    }
    CHECK(delays == std::vector<Millis>{100ms, 100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms});
    clock.advance(1min);
    // A run of backoffResetAfter (30 s) forgets the failures.
    CHECK(decideRestart(s, h, kCrash, 31s, clock.now).delay == 100ms);
}

TEST_CASE("back-off still grows when restartDelay is 0") {
    ProcessSpec s = defaults();
    CHECK(backoffDelay(s, 1) == 0ms);
    CHECK(backoffDelay(s, 2) == 100ms);
    CHECK(backoffDelay(s, 3) == 200ms);
    CHECK(backoffDelay(s, 30) == s.restartDelayMax);  // no overflow
}

TEST_CASE("crash loop: 5 failures within 5 minutes, reported once") {
    ProcessSpec s = defaults();
    RestartHistory h;
    FakeClock clock;
    int started = 0;
    for (int i = 1; i <= 7; ++i) {
        clock.advance(20s);
        auto d = decideRestart(s, h, kCrash, 2s, clock.now);
        CHECK(d.recentCrashes == static_cast<unsigned>(i));
        started += d.crashLoopStarted;
        CHECK(d.crashLoopStarted == (i == 5));
        CHECK(d.restart);  // it keeps restarting, at the capped back-off
    }
    CHECK(started == 1);
    CHECK(h.crashLooping);
}

TEST_CASE("crash-loop window slides: failures spread out never trip it") {
    ProcessSpec s = defaults();
    RestartHistory h;
    FakeClock clock;
    for (int i = 0; i < 20; ++i) {
        clock.advance(90s);  // 4 failures per 6 minutes at most
        auto d = decideRestart(s, h, kCrash, 2s, clock.now);
        CHECK_FALSE(d.crashLoopStarted);
        CHECK(d.recentCrashes <= 4);
    }
    CHECK_FALSE(h.crashLooping);
}

TEST_CASE("crashing as fast as possible: the remembered crashes saturate, the loop stays on") {
    // restartDelay 0 and restartDelayMax 0: no back-off at all, so ten
    // thousand crashes land inside one crash-loop window.
    ProcessSpec s = defaults();
    s.minUptime = 0ms;
    s.restartDelayMax = 0ms;
    RestartHistory h;
    FakeClock clock;
    int started = 0;
    for (int i = 1; i <= 10000; ++i) {
        clock.advance(1ms);
        auto d = decideRestart(s, h, kCrash, 1ms, clock.now);
        REQUIRE(d.restart);
        REQUIRE(d.delay == 0ms);
        started += d.crashLoopStarted;
        REQUIRE(d.recentCrashes == static_cast<unsigned>(std::min(i, 1000)));
    }
    CHECK(started == 1);
    CHECK(h.crashLooping);
    CHECK(h.crashes.size() == 1000);
}

TEST_CASE("clean exits do not count as crashes") {
    ProcessSpec s = defaults();
    RestartHistory h;
    FakeClock clock;
    for (int i = 0; i < 10; ++i) {
        clock.advance(2s);
        auto d = decideRestart(s, h, ExitStatus::exited(0), 1500ms, clock.now);
        CHECK(d.recentCrashes == 0);
        CHECK(d.delay == 0ms);
    }
}

TEST_CASE("twenty kills in a row follow the policy exactly") {
    // The same sequence the integration test drives with real processes.
    ProcessSpec s = defaults();
    s.minUptime = 100ms;
    s.restartDelay = 50ms;
    s.restartDelayMax = 400ms;
    s.crashLoopBurst = 5;
    s.crashLoopInterval = 60s;
    RestartHistory h;
    FakeClock clock;
    for (unsigned i = 1; i <= 20; ++i) {
        clock.advance(300ms);
        auto d = decideRestart(s, h, ExitStatus::killed(SIGKILL), 300ms, clock.now);
        REQUIRE(d.restart);
        CHECK(d.delay == backoffDelay(s, i));
        CHECK(d.crashLoopStarted == (i == 5));
        CHECK(h.restarts == i);
    }
}
