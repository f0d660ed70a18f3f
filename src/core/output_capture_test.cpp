#include "core/output_capture.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

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

// A child's stdout: the test writes, the capture reads the other end.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read.reset(fds[0]);
        write.reset(fds[1]);
        ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    }
    // Returns how much the pipe took (it is full when less than asked).
    size_t put(const std::string& text) {
        ssize_t n = ::write(write.get(), text.data(), text.size());
        return n < 0 ? 0 : static_cast<size_t>(n);
    }
};

LogSink::Limits small() {
    LogSink::Limits limits;
    limits.highWater = 4096;
    limits.lowWater = 1024;
    return limits;
}

std::string lines(int count, char c) {
    std::string text;
    for (int i = 0; i < count; ++i) {
        text += std::string(99, c) + '\n';
    }
    return text;
}

}  // namespace

TEST_CASE("a slow file holds its app's pipe back, and nothing is lost") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    auto sink = std::make_shared<LogSink>(loop, path, false, RotationPolicy{}, small());
    loop.completeAllBlocking();
    Pipe out;
    int fd = out.read.get();
    std::vector<std::string> said;
    OutputCapture capture(loop, std::move(out.read), UniqueFd(), {sink, nullptr, nullptr, false},
                          [&](const std::string& m) { said.push_back(m); });
    // First read: handed to the sink, whose write now "hangs" (not completed).
    std::string first = lines(10, 'a');
    REQUIRE(out.put(first) == first.size());
    CHECK(loop.fireReadable(fd));
    CHECK(sink->writing());
    CHECK(loop.watches(fd));
    // More than highWater behind it: reading stops, the pipe holds the rest.
    std::string second = lines(50, 'b');
    REQUIRE(out.put(second) == second.size());
    CHECK(loop.fireReadable(fd));
    CHECK(sink->congested());
    CHECK_FALSE(loop.watches(fd));
    CHECK(capture.heldBack());
    std::string third = lines(5, 'c');
    REQUIRE(out.put(third) == third.size());  // waits in the pipe, unread
    // The file catches up: reading goes on.
    loop.completeAllBlocking();
    CHECK(loop.watches(fd));
    CHECK_FALSE(capture.heldBack());
    out.write.reset();  // the app exits
    for (int i = 0; i < 10 && !capture.finished(); ++i) {
        loop.fireReadable(fd);
        loop.completeAllBlocking();
    }
    CHECK(capture.finished());
    CHECK(slurp(path) == first + second + third);
    CHECK(capture.droppedBytes() == 0);
    CHECK(said.empty());
}

TEST_CASE("a held-back stream says so after stallNotice, and its end") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "out.log";
    auto sink = std::make_shared<LogSink>(loop, path, false, RotationPolicy{}, small());
    loop.completeAllBlocking();
    Pipe out;
    int fd = out.read.get();
    std::vector<std::string> said;
    OutputCapture capture(loop, std::move(out.read), UniqueFd(), {sink, nullptr, nullptr, false},
                          [&](const std::string& m) { said.push_back(m); });
    out.put("hello\n");
    loop.fireReadable(fd);
    loop.advance(Millis(2500));
    REQUIRE(said.size() == 1);
    CHECK(said[0].find(path) == 0);
    CHECK(said[0].find("held back (not dropped)") != std::string::npos);
    loop.advance(Millis(1500));
    loop.completeAllBlocking();
    REQUIRE(said.size() == 2);
    CHECK(said[1].find("writing again after a 4.0 s stall; 0 bytes of output dropped") !=
          std::string::npos);
}

TEST_CASE("a file that fails: output dropped, counted, and the count said on recovery") {
    TempDir dir;
    FakeEventLoop loop;
    std::string path = dir / "gone";
    std::filesystem::create_directory(path);  // EISDIR until removed
    auto sink = std::make_shared<LogSink>(loop, path, false, RotationPolicy{}, small());
    loop.completeAllBlocking();
    Pipe out;
    int fd = out.read.get();
    std::vector<std::string> said;
    OutputCapture capture(loop, std::move(out.read), UniqueFd(), {sink, nullptr, nullptr, false},
                          [&](const std::string& m) { said.push_back(m); });
    REQUIRE(said.size() == 1);  // the failed open, said at once
    CHECK(said[0].find("output is dropped until it is writable again") != std::string::npos);
    out.put("lost one\n");
    loop.fireReadable(fd);
    loop.completeAllBlocking();
    out.put("lost two\n");
    loop.fireReadable(fd);
    loop.completeAllBlocking();
    CHECK(said.size() == 1);  // once per failure, not per line
    CHECK(capture.droppedBytes() == 18);
    std::filesystem::remove(path);
    out.put("kept\n");
    loop.fireReadable(fd);
    loop.completeAllBlocking();
    REQUIRE(said.size() == 2);
    CHECK(said[1] == path + ": writable again; 18 bytes of output were dropped while it was not");
    CHECK(slurp(path) == "kept\n");
}

TEST_CASE("two streams, one congested file: each is held and let go on its own") {
    TempDir dir;
    FakeEventLoop loop;
    auto combined =
        std::make_shared<LogSink>(loop, dir / "all.log", false, RotationPolicy{}, small());
    loop.completeAllBlocking();
    Pipe out, err;
    int outFd = out.read.get(), errFd = err.read.get();
    OutputCapture capture(loop, std::move(out.read), std::move(err.read),
                          {nullptr, nullptr, combined, false}, nullptr);
    out.put(lines(1, 'o'));
    loop.fireReadable(outFd);  // in flight
    out.put(lines(45, 'o'));
    loop.fireReadable(outFd);
    CHECK_FALSE(loop.watches(outFd));
    CHECK(loop.watches(errFd));  // not read yet, so not held yet
    err.put(lines(1, 'e'));
    loop.fireReadable(errFd);
    CHECK_FALSE(loop.watches(errFd));
    loop.completeAllBlocking();
    CHECK(loop.watches(outFd));
    CHECK(loop.watches(errFd));
    CHECK(slurp(dir / "all.log").size() == 47 * 100);
}
