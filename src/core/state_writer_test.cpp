#include "core/state_writer.hpp"

#include <doctest/doctest.h>
#include <poll.h>

#include <filesystem>
#include <fstream>

#include "testing/fake_event_loop.hpp"
#include "testing/file_size_limit.hpp"
#include "testing/temp_dir.hpp"

using forever::JournalChange;
using forever::StateJournal;
using forever::StateWriter;
using forever::test::FakeEventLoop;
using forever::test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Settlement {
    uint64_t upTo = 0;
    std::error_code error;
    int calls = 0;
};

// Waits (bounded) for the writer's eventfd, then lets the fake loop run
// the completion, as sd-event would when it is readable.
bool awaitCompletion(FakeEventLoop& loop, StateWriter& writer, int timeoutMs = 5000) {
    pollfd p{writer.completionFd(), POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) != 1) {
        return false;
    }
    return loop.fireReadable(writer.completionFd());
}

std::vector<JournalChange> batchOf(int from, int count) {
    std::vector<JournalChange> batch;
    for (int i = from; i < from + count; ++i) {
        batch.push_back({"app" + std::to_string(i), std::to_string(i)});
    }
    return batch;
}

size_t restoredCount(const fs::path& dir) {
    StateJournal journal(dir);
    auto contents = journal.open();
    CHECK(contents.problems.empty());
    return contents.records.size();
}

}  // namespace

TEST_CASE("batches are written off the loop and settle through the eventfd") {
    TempDir tmp;
    FakeEventLoop loop;
    StateJournal journal(tmp.path);
    journal.open();
    Settlement seen;
    StateWriter writer(loop, std::move(journal), [&](uint64_t upTo, std::error_code ec) {
        seen.upTo = upTo;
        seen.error = ec;
        ++seen.calls;
    });
    CHECK(loop.watches(writer.completionFd()));
    CHECK(writer.submit(batchOf(0, 10)) == 1);
    CHECK(writer.submit(batchOf(10, 10)) == 2);
    CHECK(writer.submit({{"app3", std::nullopt}}) == 3);
    for (int i = 0; i < 5 && seen.upTo < 3; ++i) {
        REQUIRE(awaitCompletion(loop, writer));
    }
    CHECK(seen.upTo == 3);
    CHECK_FALSE(seen.error);
    // Settled means on disk: a successor started now finds them.
    CHECK(restoredCount(tmp.path) == 19);
}

TEST_CASE("what is still queued is written before the writer goes away") {
    TempDir tmp;
    FakeEventLoop loop;
    {
        StateJournal journal(tmp.path);
        journal.open();
        StateWriter writer(loop, std::move(journal), [](uint64_t, std::error_code) {});
        for (int i = 0; i < 100; ++i) {
            writer.submit(batchOf(i * 10, 10));
        }
        writer.drain();
        writer.submit(batchOf(1000, 5));
    }
    CHECK(restoredCount(tmp.path) == 1005);
}

TEST_CASE("a failing disk is reported once, retried, and its recovery reported") {
    TempDir tmp;
    FakeEventLoop loop;
    StateJournal journal(tmp.path);
    journal.open();
    std::vector<Settlement> seen;
    StateWriter writer(
        loop, std::move(journal),
        [&](uint64_t upTo, std::error_code ec) {
            seen.push_back({upTo, ec, 1});
        },
        std::chrono::milliseconds(20));
    {
        forever::test::FileSizeLimit full(100);  // the header fits, a batch not
        writer.submit(batchOf(0, 30));
        REQUIRE(awaitCompletion(loop, writer));
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].upTo == 1);
        CHECK(seen[0].error == std::errc::file_too_large);
        // Retries fail the same way: nothing new to say.
        for (int i = 0; i < 3; ++i) {
            REQUIRE(awaitCompletion(loop, writer));
        }
        CHECK(seen.size() == 1);
    }
    for (int i = 0; i < 100 && seen.size() == 1; ++i) {
        REQUIRE(awaitCompletion(loop, writer));
    }
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].upTo == 1);
    CHECK_FALSE(seen[1].error);
    CHECK(restoredCount(tmp.path) == 30);
}
