#include "daemon/worker_pool.hpp"

#include <doctest/doctest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace forever;
using namespace std::chrono_literals;

namespace {
// Waits for the completion eventfd and runs what finished; bounded.
int runCompletions(WorkerPool& pool, std::chrono::milliseconds timeout) {
    pollfd p{pool.completionFd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
        return 0;
    }
    int ran = 0;
    for (auto& after : pool.takeCompletions()) {
        after();
        ++ran;
    }
    return ran;
}
}  // namespace

TEST_CASE("a job stuck in a blocking call does not hold up the next one") {
    WorkerPool pool(4, 10s);
    std::atomic<bool> release{false};
    std::atomic<bool> secondRan{false};
    bool secondDone = false;
    pool.submit(
        [&] {
            for (int i = 0; i < 500 && !release; ++i) {  // "hung", bounded
                std::this_thread::sleep_for(10ms);
            }
        },
        [] {});
    pool.submit([&] { secondRan = true; }, [&] { secondDone = true; });
    int ran = 0;
    for (int i = 0; i < 50 && !secondDone; ++i) {
        ran += runCompletions(pool, 100ms);
    }
    CHECK(secondRan);
    CHECK(secondDone);  // `after` runs on the caller's thread, from the eventfd
    CHECK(ran == 1);
    CHECK(pool.threads() == 2);  // grew past the stuck one
    release = true;
    for (int i = 0; i < 50 && ran < 2; ++i) {
        ran += runCompletions(pool, 100ms);
    }
    CHECK(ran == 2);
}

TEST_CASE("destruction waits for queued work, but not for ever") {
    std::atomic<int> done{0};
    {
        WorkerPool pool(1, 10s);
        for (int i = 0; i < 3; ++i) {
            pool.submit([&] { ++done; }, nullptr);
        }
    }
    CHECK(done == 3);
    auto t0 = std::chrono::steady_clock::now();
    auto stuck = std::make_shared<std::atomic<bool>>(true);
    {
        WorkerPool pool(1, 10s);
        pool.drainTimeout = 200ms;
        pool.submit(
            [stuck] {
                for (int i = 0; i < 300 && *stuck; ++i) {
                    std::this_thread::sleep_for(10ms);
                }
            },
            nullptr);
    }
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    *stuck = false;  // let the thread left behind end before the test does
    std::this_thread::sleep_for(50ms);
}
