#include <doctest/doctest.h>

#include "cli/table.hpp"

using namespace forever::cli;

TEST_CASE("columns align to their widest cell; colour codes take no room") {
    std::string red = paint("failed", "\x1b[31m", true);
    CHECK(visibleWidth(red) == 6);
    CHECK(visibleWidth("naïve") == 5);
    auto text = renderTable({"uid", "state"}, {{"a", red}, {"longer-uid", "running"}}, {});
    CHECK(text ==
          "uid         state\n"
          "a           " +
              red +
              "\n"
              "longer-uid  running\n");
}

TEST_CASE("a table wider than the terminal cuts the widest column, keeps them all") {
    std::string path = "/very/long/path/to/some/deeply/nested/app/server.js";
    auto text =
        renderTable({"uid", "script", "state"}, {{"web", path, "running"}}, {false, false, 30});
    for (auto line_end = text.find('\n'), start = std::string::size_type(0);
         line_end != std::string::npos; start = line_end + 1, line_end = text.find('\n', start)) {
        CHECK(visibleWidth(text.substr(start, line_end - start)) <= 30);
    }
    CHECK(text.find("…") != std::string::npos);
    CHECK(text.find("running") != std::string::npos);
    CHECK(text.find("web") != std::string::npos);
}

TEST_CASE("plain: no header, one space between fields, '-' for empty") {
    auto text = renderTable({"uid", "pid"}, {{"a", ""}, {"bb", "12"}}, {false, true, 10});
    CHECK(text == "a -\nbb 12\n");
}

TEST_CASE("formatUptime is forever's d:h:m:s.ms") {
    CHECK(formatUptime(0) == "0:0:0:0.000");
    CHECK(formatUptime(62345) == "0:0:1:2.345");
    CHECK(formatUptime((((2 * 24 + 3) * 60 + 4) * 60 + 5) * 1000LL + 6) == "2:3:4:5.006");
    CHECK(formatUptime(-5) == "0:0:0:0.000");
}

TEST_CASE("formatBytes") {
    CHECK(formatBytes(0) == "0 B");
    CHECK(formatBytes(1023) == "1023 B");
    CHECK(formatBytes(1536) == "1.5 KB");
    CHECK(formatBytes(42 * 1048576ULL) == "42.0 MB");
}

TEST_CASE("colour only where people look") {
    CHECK(useColor(true, false, false, false, false));
    CHECK_FALSE(useColor(false, false, false, false, false));  // a pipe
    CHECK_FALSE(useColor(true, true, false, false, false));    // NO_COLOR
    CHECK_FALSE(useColor(true, false, true, false, false));    // --plain
    CHECK_FALSE(useColor(true, false, false, true, false));    // --no-color
    CHECK(useColor(false, false, false, false, true));         // --colors
    CHECK_FALSE(useColor(false, false, false, true, true));    // --no-color wins
    CHECK(colorState("running", true).find("\x1b[32m") == 0);
    CHECK(colorState("crash-looping", false) == "crash-looping");
}
