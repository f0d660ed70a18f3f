#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/line_splitter.hpp"

using namespace forever;
using namespace std::chrono;

namespace {

struct Collector {
    std::vector<std::string> lines;
    LineSplitter::Emit emit() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
};

std::vector<std::string> split(LineSplitter& splitter, const std::vector<std::string>& chunks,
                               bool flush = false) {
    Collector c;
    for (const auto& chunk : chunks) {
        splitter.feed(chunk, c.emit());
    }
    if (flush) {
        splitter.flush(c.emit());
    }
    return c.lines;
}

system_clock::time_point at(int hour, int minute, int second, int millis) {
    return sys_days{year{2026} / November / 24} + hours(hour) + minutes(minute) + seconds(second) +
           milliseconds(millis);
}

}  // namespace

TEST_CASE("lines split across chunk boundaries come out whole") {
    LineSplitter s;
    CHECK(split(s, {"ab", "c\nde", "f", "\n"}) == std::vector<std::string>{"abc\n", "def\n"});
    CHECK(s.pending() == 0);
}

TEST_CASE("many lines in one chunk, empty lines included") {
    LineSplitter s;
    CHECK(split(s, {"one\ntwo\n\nthree\nfour"}) ==
          std::vector<std::string>{"one\n", "two\n", "\n", "three\n"});
    CHECK(s.pending() == 4);
    CHECK(split(s, {"\n"}) == std::vector<std::string>{"four\n"});
}

TEST_CASE("any chunking gives the same lines as one big chunk") {
    std::string text;
    for (int i = 0; i < 200; ++i) {
        text += "line " + std::to_string(i) + std::string(static_cast<size_t>(i % 37), 'x') + "\n";
    }
    LineSplitter whole(16);
    auto expected = split(whole, {text}, true);
    for (size_t step : {1, 2, 3, 7, 16, 17, 100, 4096}) {
        LineSplitter s(16);
        std::vector<std::string> chunks;
        for (size_t i = 0; i < text.size(); i += step) {
            chunks.push_back(text.substr(i, step));
        }
        CAPTURE(step);
        CHECK(split(s, chunks, true) == expected);
    }
}

TEST_CASE("a long line is emitted in bounded pieces") {
    LineSplitter s(8);
    CHECK(split(s, {"0123456789abcdefXYZ\n"}) ==
          std::vector<std::string>{"01234567\n", "89abcdef\n", "XYZ\n"});

    SUBCASE("a line of exactly the maximum is not cut, even when its newline comes later") {
        CHECK(split(s, {"01234567"}).empty());
        CHECK(s.pending() == 8);
        CHECK(split(s, {"\n"}) == std::vector<std::string>{"01234567\n"});
    }
    SUBCASE("memory stays bounded while a line streams in without a newline") {
        Collector c;
        for (int i = 0; i < 1000; ++i) {
            s.feed("abc", c.emit());
            CHECK(s.pending() <= 8);
        }
        s.flush(c.emit());
        std::string joined;
        for (const auto& line : c.lines) {
            REQUIRE(line.size() <= 9);
            REQUIRE(line.back() == '\n');
            joined += line.substr(0, line.size() - 1);
        }
        std::string expected;
        for (int i = 0; i < 1000; ++i) {
            expected += "abc";
        }
        CHECK(joined == expected);
    }
}

TEST_CASE("a piece never ends inside a UTF-8 sequence") {
    LineSplitter s(5);
    // "€" is E2 82 AC: a cut after 5 bytes would split it.
    CHECK(split(s, {"abcd\xE2\x82\xAC!\n"}) ==
          std::vector<std::string>{"abcd\n", "\xE2\x82\xAC!\n"});
    // Bytes that are not UTF-8 are cut at the maximum.
    LineSplitter raw(4);
    CHECK(split(raw, {"\x80\x80\x80\x80\x80\n"}) ==
          std::vector<std::string>{"\x80\x80\x80\x80\n", "\x80\n"});
}

TEST_CASE("flush emits the partial last line once") {
    LineSplitter s;
    CHECK(split(s, {"done\nno newline at EOF"}, true) ==
          std::vector<std::string>{"done\n", "no newline at EOF\n"});
    CHECK(s.pending() == 0);
    Collector c;
    s.flush(c.emit());
    CHECK(c.lines.empty());
}

TEST_CASE("timestamps: ISO 8601 UTC with milliseconds, then a space") {
    CHECK(formatTimestamp(at(10, 0, 0, 123)) == "2026-11-24T10:00:00.123Z");
    CHECK(formatTimestamp(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
    CHECK(formatTimestamp(at(23, 59, 59, 999) + microseconds(999)) == "2026-11-24T23:59:59.999Z");

    auto now = at(10, 0, 0, 5);
    LineSplitter s(8);
    s.setTimestamps(true, [&] { return now; });
    CHECK(s.timestamps());
    CHECK(split(s, {"a\nb\nsta"}) ==
          std::vector<std::string>{"2026-11-24T10:00:00.005Z a\n", "2026-11-24T10:00:00.005Z b\n"});
    // A line keeps the time its first byte arrived.
    now = at(10, 0, 1, 0);
    CHECK(split(s, {"rted\nnext\n"}) ==
          std::vector<std::string>{"2026-11-24T10:00:00.005Z started\n",
                                   "2026-11-24T10:00:01.000Z next\n"});
    // Every piece of a long line is stamped, so each file line parses alike.
    CHECK(split(s, {"0123456789"}, true) ==
          std::vector<std::string>{"2026-11-24T10:00:01.000Z 01234567\n",
                                   "2026-11-24T10:00:01.000Z 89\n"});
    s.setTimestamps(false);
    CHECK(split(s, {"plain\n"}) == std::vector<std::string>{"plain\n"});
}
