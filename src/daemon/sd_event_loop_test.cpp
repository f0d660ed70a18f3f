#include "daemon/sd_event_loop.hpp"

#include <doctest/doctest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <map>
#include <system_error>
#include <vector>

#include "core/unique_fd.hpp"

using namespace forever;

namespace {

// Stands in for a pidfd: readable for good once written to.
UniqueFd readableForGood() {
    UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    REQUIRE(fd);
    return fd;
}

void makeReadable(const UniqueFd& fd) {
    uint64_t one = 1;
    REQUIRE(::write(fd.get(), &one, sizeof one) == sizeof one);
}

// Runs loop iterations that find work, at most `bound` of them.
int runUntilIdle(SdEventLoop& loop, int bound = 10000) {
    int iterations = 0;
    while (iterations < bound && sd_event_run(loop.get(), 0) > 0) {
        ++iterations;
    }
    return iterations;
}

}  // namespace

TEST_CASE("readable-once watches: more ready than a batch, each called once") {
    SdEventLoop loop;
    std::vector<UniqueFd> fds;
    std::vector<EventLoop::HandlePtr> watches;
    std::map<int, int> calls;
    for (int i = 0; i < 600; ++i) {
        fds.push_back(readableForGood());
        watches.push_back(loop.addReadableOnce(fds.back().get(), [&calls, i] { ++calls[i]; }));
    }
    CHECK_FALSE(loop.readyOncePending());
    for (const auto& fd : fds) {
        makeReadable(fd);
    }
    CHECK(loop.readyOncePending());
    int iterations = runUntilIdle(loop);
    CHECK_FALSE(loop.readyOncePending());
    REQUIRE(calls.size() == 600);
    for (const auto& [i, n] : calls) {
        CHECK_MESSAGE(n == 1, "watch " << i << " called " << n << " times");
    }
    // Batched: far fewer dispatches than exits.
    CHECK(iterations < 20);
    // Still readable, never called again.
    runUntilIdle(loop);
    for (const auto& [i, n] : calls) {
        CHECK(n == 1);
    }
}

TEST_CASE("a watch destroyed by an earlier callback of the same batch is not called") {
    SdEventLoop loop;
    UniqueFd a = readableForGood();
    UniqueFd b = readableForGood();
    EventLoop::HandlePtr watchA;
    EventLoop::HandlePtr watchB;
    int calledA = 0;
    int calledB = 0;
    // Whichever comes first destroys the other.
    watchA = loop.addReadableOnce(a.get(), [&] {
        ++calledA;
        watchB.reset();
    });
    watchB = loop.addReadableOnce(b.get(), [&] {
        ++calledB;
        watchA.reset();
    });
    makeReadable(a);
    makeReadable(b);
    runUntilIdle(loop);
    CHECK(calledA + calledB == 1);
}

TEST_CASE("a watch destroyed before its descriptor turned readable is never called") {
    SdEventLoop loop;
    UniqueFd fd = readableForGood();
    int called = 0;
    auto watch = loop.addReadableOnce(fd.get(), [&] { ++called; });
    watch.reset();
    makeReadable(fd);
    CHECK_FALSE(loop.readyOncePending());
    runUntilIdle(loop);
    CHECK(called == 0);
    // The descriptor can be watched again (it was taken out of the set).
    auto again = loop.addReadableOnce(fd.get(), [&] { ++called; });
    runUntilIdle(loop);
    CHECK(called == 1);
}

TEST_CASE("a descriptor that fired and stayed open can be watched again") {
    SdEventLoop loop;
    UniqueFd fd = readableForGood();
    int first = 0;
    int second = 0;
    auto watch = loop.addReadableOnce(fd.get(), [&] { ++first; });
    makeReadable(fd);
    runUntilIdle(loop);
    watch.reset();
    watch = loop.addReadableOnce(fd.get(), [&] { ++second; });
    runUntilIdle(loop);
    CHECK(first == 1);
    CHECK(second == 1);
}

TEST_CASE("a descriptor a live watch waits on cannot be watched twice") {
    SdEventLoop loop;
    UniqueFd fd = readableForGood();
    auto watch = loop.addReadableOnce(fd.get(), [] {});
    CHECK_THROWS_AS(loop.addReadableOnce(fd.get(), [] {}), std::system_error);
}

TEST_CASE("a watch may outlive its loop") {
    UniqueFd fd = readableForGood();
    EventLoop::HandlePtr watch;
    {
        SdEventLoop loop;
        watch = loop.addReadableOnce(fd.get(), [] {});
    }
    watch.reset();  // no use of the loop that is gone (ASan would say)
}
