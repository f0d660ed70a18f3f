// The fake loop is what every supervision unit test stands on: its clock,
// timer order and one-shot semantics must match sd-event's.
#include "testing/fake_event_loop.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using forever::Millis;
using forever::test::FakeEventLoop;

TEST_CASE("timers fire in deadline order with the clock at their deadline") {
    FakeEventLoop loop;
    const auto start = loop.now();
    std::string order;
    std::vector<Millis> at;
    auto late = loop.addTimer(Millis(300), [&] {
        order += "c";
        at.push_back(std::chrono::duration_cast<Millis>(loop.now() - start));
    });
    auto early = loop.addTimer(Millis(100), [&] {
        order += "a";
        at.push_back(std::chrono::duration_cast<Millis>(loop.now() - start));
    });
    auto middle = loop.addTimer(Millis(200), [&] { order += "b"; });
    loop.advance(Millis(250));
    CHECK(order == "ab");
    loop.advance(Millis(100));
    CHECK(order == "abc");
    CHECK(at == std::vector<Millis>{Millis(100), Millis(300)});
    CHECK(loop.now() - start == Millis(350));
}

TEST_CASE("a timer fires once; dropping its handle cancels it") {
    FakeEventLoop loop;
    int fired = 0;
    auto once = loop.addTimer(Millis(10), [&] { ++fired; });
    auto cancelled = loop.addTimer(Millis(10), [&] { fired += 100; });
    cancelled.reset();
    loop.advance(Millis(1000));
    CHECK(fired == 1);
    CHECK(loop.pendingTimers() == 0);
}

TEST_CASE("a timer added by a timer fires in the same advance when due") {
    FakeEventLoop loop;
    std::vector<int> fired;
    forever::EventLoop::HandlePtr second;
    auto first = loop.addTimer(Millis(10), [&] {
        fired.push_back(1);
        second = loop.addTimer(Millis(10), [&] { fired.push_back(2); });
    });
    loop.advance(Millis(15));
    CHECK(fired == std::vector<int>{1});
    loop.advance(Millis(5));
    CHECK(fired == std::vector<int>{1, 2});
}

TEST_CASE("urgent work runs before deferred work, and work added meanwhile runs too") {
    FakeEventLoop loop;
    std::string order;
    forever::EventLoop::HandlePtr more;
    auto deferred = loop.addDeferred([&] {
        order += "d";
        more = loop.addDeferred([&] { order += "m"; });
    });
    auto urgent = loop.addUrgent([&] { order += "u"; });
    CHECK(loop.pendingWork() == 2);
    CHECK(loop.runPending() == 3);
    CHECK(order == "udm");
    CHECK(loop.pendingWork() == 0);
}

TEST_CASE("fd watchers fire while watched, not after their handle is gone") {
    FakeEventLoop loop;
    int reads = 0;
    auto watch = loop.addReadable(7, [&] { ++reads; });
    CHECK(loop.watches(7));
    CHECK(loop.fireReadable(7));
    CHECK(loop.fireReadable(7));
    CHECK(reads == 2);
    CHECK_FALSE(loop.fireWritable(7));
    watch.reset();
    CHECK_FALSE(loop.watches(7));
    CHECK_FALSE(loop.fireReadable(7));
}

TEST_CASE("a callback may destroy its own handle") {
    FakeEventLoop loop;
    forever::EventLoop::HandlePtr self;
    int fired = 0;
    self = loop.addTimer(Millis(5), [&] {
        ++fired;
        self.reset();
    });
    loop.advance(Millis(10));
    CHECK(fired == 1);
    CHECK(loop.pendingTimers() == 0);
}
