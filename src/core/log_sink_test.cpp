#include "core/log_sink.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "testing/fake_event_loop.hpp"
#include "testing/temp_dir.hpp"

using namespace forever;
using forever::test::FakeEventLoop;
using forever::test::slurp;
using forever::test::TempDir;

namespace {

struct Recorder : LogSink::Listener {
    std::error_code lastError;
    uint64_t written = 0;
    uint64_t dropped = 0;
    int results = 0;
    int rooms = 0;
    std::vector<std::pair<bool, Millis>> stalls;

    void onWriteResult(LogSink&, std::error_code error, uint64_t w, uint64_t d) override {
        lastError = error;
        written += w;
        dropped += d;
        ++results;
    }
    void onRoom(LogSink&) override { ++rooms; }
    void onStall(LogSink&, bool stalled, Millis elapsed) override {
        stalls.emplace_back(stalled, elapsed);
    }
};

LogSink::Limits small() {
    LogSink::Limits limits;
    limits.highWater = 100;
    limits.lowWater = 40;
    limits.stallNotice = Millis(1000);
    return limits;
}

}  // namespace

TEST_CASE("nothing touches the disk on the loop: open and writes wait for blocking work") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "sub/out.log";
    LogSink sink(loop, path, false, {}, small());
    Recorder r;
    sink.attach(&r);
    sink.append("one\n", &r);
    CHECK_FALSE(std::filesystem::exists(path));  // not even its directory was made
    CHECK(loop.pendingBlocking() == 1);          // the open; the line waits for it
    CHECK(loop.completeAllBlocking() == 2);
    CHECK(slurp(path) == "one\n");
    CHECK(r.written == 4);
    CHECK(r.dropped == 0);
    CHECK_FALSE(r.lastError);
    sink.detach(&r);
}

TEST_CASE("lines queued while a write is in flight go in order, in one next write") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    LogSink sink(loop, path, false, {}, small());
    Recorder r;
    sink.attach(&r);
    loop.completeAllBlocking();
    sink.append("a\n", &r);
    CHECK(sink.writing());
    sink.append("b\n", &r);
    sink.append("c\n", &r);
    CHECK(loop.pendingBlocking() == 1);  // one job per file at a time
    CHECK(loop.completeAllBlocking() == 2);
    CHECK(slurp(path) == "a\nb\nc\n");
    CHECK(r.results == 2);
    CHECK(r.written == 6);
    sink.detach(&r);
}

TEST_CASE("a slow file congests at highWater, and room is announced under lowWater") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    LogSink sink(loop, path, false, {}, small());
    Recorder r;
    sink.attach(&r);
    loop.completeAllBlocking();
    std::string line(29, 'x');
    line += '\n';           // 30 bytes
    sink.append(line, &r);  // in flight: the file "hangs" until completed
    for (int i = 0; i < 3; ++i) {
        CHECK_FALSE(sink.congested());
        sink.append(line, &r);
    }
    CHECK(sink.backlog() == 120);
    CHECK(sink.congested());
    sink.waitForRoom(&r);
    sink.waitForRoom(&r);            // once, however often asked
    CHECK(loop.completeBlocking());  // 30 written, 90 now in flight: not under 40
    CHECK(r.rooms == 0);
    CHECK(loop.completeBlocking());
    CHECK(r.rooms == 1);
    CHECK(sink.backlog() == 0);
    CHECK(slurp(path).size() == 120);
    CHECK(r.written == 120);
    CHECK(r.dropped == 0);
    sink.detach(&r);
}

TEST_CASE("a stall is told once it lasts stallNotice, and its end with its length") {
    TempDir dir;
    FakeEventLoop loop;
    LogSink sink(loop, dir / "out.log", false, {}, small());
    Recorder r;
    sink.attach(&r);
    loop.completeAllBlocking();
    sink.append("a\n", &r);
    loop.advance(Millis(999));
    CHECK(r.stalls.empty());
    loop.advance(Millis(1));
    REQUIRE(r.stalls.size() == 1);
    CHECK(r.stalls[0] == std::make_pair(true, Millis(1000)));
    loop.advance(Millis(3000));
    CHECK(r.stalls.size() == 1);
    loop.completeAllBlocking();
    REQUIRE(r.stalls.size() == 2);
    CHECK(r.stalls[1] == std::make_pair(false, Millis(4000)));
    sink.detach(&r);
}

TEST_CASE("a file that cannot be opened: told on attach, its bytes counted as dropped") {
    TempDir dir;
    FakeEventLoop loop;
    std::filesystem::create_directory(dir / "taken");
    LogSink sink(loop, dir / "taken", false, {}, small());  // a directory: EISDIR
    loop.completeAllBlocking();
    Recorder r;
    sink.attach(&r);
    CHECK(r.lastError == std::errc::is_a_directory);
    sink.append("lost 1\n", &r);
    sink.append("lost 2\n", &r);
    loop.completeAllBlocking();
    CHECK(r.lastError == std::errc::is_a_directory);
    CHECK(r.dropped == 14);
    CHECK(r.written == 0);
    // Fixed under us: the next write opens it (appending) and succeeds.
    std::filesystem::remove(dir / "taken");
    sink.append("kept\n", &r);
    loop.completeAllBlocking();
    CHECK_FALSE(r.lastError);
    CHECK(r.written == 5);
    CHECK(slurp(dir / "taken") == "kept\n");
    sink.detach(&r);
}

TEST_CASE("each writer hears of its own bytes only; a detached one of none") {
    TempDir dir;
    FakeEventLoop loop;
    LogSink sink(loop, dir / "shared.log", false, {}, small());
    Recorder a, b;
    sink.attach(&a);
    sink.attach(&b);
    loop.completeAllBlocking();
    sink.append("from a\n", &a);
    sink.append("from b\n", &b);
    sink.append("a again\n", &a);
    sink.detach(&b);  // e.g. its capture was destroyed: its bytes still go
    loop.completeAllBlocking();
    CHECK(a.written == 15);
    CHECK(b.results == 0);
    CHECK(slurp(dir / "shared.log") == "from a\nfrom b\na again\n");
    sink.detach(&a);
}

TEST_CASE("destroyed with a write in flight: what it queued follows, in order") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    {
        LogSink sink(loop, path, false, {}, small());
        loop.completeAllBlocking();
        sink.append("first\n", nullptr);
        sink.append("second\n", nullptr);  // queued behind the in-flight job
    }
    CHECK(loop.pendingBlocking() == 1);  // no second job that could overtake
    loop.completeAllBlocking();
    CHECK(slurp(path) == "first\nsecond\n");
}

TEST_CASE("destroyed while idle: its last bytes and the close go to blocking work") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    {
        LogSink sink(loop, path, false, {}, small());
        loop.completeAllBlocking();
    }
    CHECK(loop.pendingBlocking() == 1);
    loop.completeAllBlocking();
    CHECK(slurp(path).empty());
}

TEST_CASE("rotation runs in the blocking work and splits no line") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    RotationPolicy policy;
    policy.maxBytes = 10;
    policy.keep = 3;
    LogSink sink(loop, path, false, policy, small());
    loop.completeAllBlocking();
    sink.append("aaaa\n", nullptr);
    sink.append("bbbb\n", nullptr);
    sink.append("cccc\n", nullptr);
    CHECK_FALSE(std::filesystem::exists(path + ".1"));
    loop.completeAllBlocking();
    // "aaaa" went alone (the first job), the other two in one write, which
    // did not fit beside it.
    CHECK(slurp(path + ".1") == "aaaa\n");
    CHECK(slurp(path) == "bbbb\ncccc\n");
}

TEST_CASE("pruning is blocking work too") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    RotationPolicy policy;
    policy.maxAge = std::chrono::hours(1);
    LogSink sink(loop, path, false, policy, small());
    loop.completeAllBlocking();
    std::ofstream(path + ".1") << "old\n";
    std::filesystem::last_write_time(
        path + ".1", std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
    sink.pruneOld();
    CHECK(std::filesystem::exists(path + ".1"));
    loop.completeAllBlocking();
    CHECK_FALSE(std::filesystem::exists(path + ".1"));
}
