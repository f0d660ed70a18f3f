#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "core/log_file.hpp"
#include "testing/temp_dir.hpp"

using namespace forever;
namespace fs = std::filesystem;

namespace {

using forever::test::slurp;
using forever::test::TempDir;

void spit(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> linesOf(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string numbered(int i) {
    return "line " + std::to_string(100 + i) + "\n";
}  // 9 bytes

// Everything still on disk, oldest first: path.N ... path.1, path.
std::string allContents(const std::string& path) {
    auto rotated = LogFile::rotatedFiles(path);
    std::string text;
    for (auto it = rotated.rbegin(); it != rotated.rend(); ++it) {
        text += slurp(*it);
    }
    return text + slurp(path);
}

void setAge(const std::string& path, std::chrono::system_clock::time_point when) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch());
    struct timespec times[2] = {{secs.count(), 0}, {secs.count(), 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("open truncates unless appending") {
    TempDir dir;
    std::string path = dir / "out.log";
    spit(path, "old\n");
    {
        LogFile f;
        REQUIRE_FALSE(f.open(path, true));
        CHECK(f.size() == 4);
        CHECK_FALSE(f.write("new\n"));
        CHECK(f.size() == 8);
    }
    CHECK(slurp(path) == "old\nnew\n");
    {
        LogFile f;
        REQUIRE_FALSE(f.open(path, false));
        CHECK(f.isOpen());
        CHECK(f.path() == path);
        CHECK(f.size() == 0);
        CHECK_FALSE(f.write("fresh\n"));
    }
    CHECK(slurp(path) == "fresh\n");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0600) == 0600);
}

TEST_CASE("rotation at size keeps every line, whole and in order") {
    TempDir dir;
    std::string path = dir / "out.log";
    LogFile f;
    REQUIRE_FALSE(f.open(path, false, RotationPolicy{100, 1000, std::chrono::seconds(0)}));
    std::string expected;
    for (int i = 0; i < 50; ++i) {
        REQUIRE_FALSE(f.write(numbered(i)));
        expected += numbered(i);
    }
    CHECK(allContents(path) == expected);
    auto rotated = LogFile::rotatedFiles(path);
    CHECK(rotated.size() == 4);  // 11 lines (99 bytes) per file: 50 = 4 * 11 + 6
    for (const auto& file : rotated) {
        std::string text = slurp(file);
        CHECK(text.size() <= 100);
        CHECK(text.back() == '\n');
    }
    CHECK(slurp(path + ".1").substr(0, 9) == numbered(33));  // .1 is the newest
    CHECK(f.size() == slurp(path).size());
}

TEST_CASE("rotation keeps exactly `keep` files, the newest lines") {
    TempDir dir;
    std::string path = dir / "app.log";
    LogFile f;
    REQUIRE_FALSE(f.open(path, false, RotationPolicy{100, 3, std::chrono::seconds(0)}));
    for (int i = 0; i < 50; ++i) {
        REQUIRE_FALSE(f.write(numbered(i)));
    }
    CHECK(LogFile::rotatedFiles(path) ==
          std::vector<std::string>{path + ".1", path + ".2", path + ".3"});
    // What is left is an unbroken run of whole lines ending with the last one.
    auto lines = linesOf(allContents(path));
    REQUIRE(lines.size() == 6 + 3 * 11);
    int first = 50 - static_cast<int>(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
        CHECK(lines[i] + "\n" == numbered(first + static_cast<int>(i)));
    }
}

TEST_CASE("rotation edge cases") {
    TempDir dir;
    std::string path = dir / "out.log";
    LogFile f;

    SUBCASE("a write bigger than maxBytes goes whole into one file") {
        REQUIRE_FALSE(f.open(path, false, RotationPolicy{10, 5, std::chrono::seconds(0)}));
        std::string big(50, 'x');
        big += '\n';
        CHECK_FALSE(f.write(big));
        CHECK(LogFile::rotatedFiles(path).empty());
        CHECK_FALSE(f.write("after\n"));
        CHECK(slurp(path + ".1") == big);
        CHECK(slurp(path) == "after\n");
    }
    SUBCASE("many lines bigger than maxBytes together rotate between lines") {
        REQUIRE_FALSE(f.open(path, false, RotationPolicy{10, 5, std::chrono::seconds(0)}));
        CHECK_FALSE(f.write("aaaa\nbbbb\ncccc\ndddd\neeee\nffff\n"));
        CHECK(slurp(path + ".2") == "aaaa\nbbbb\n");
        CHECK(slurp(path + ".1") == "cccc\ndddd\n");
        CHECK(slurp(path) == "eeee\nffff\n");
        CHECK(f.size() == 10);
    }
    SUBCASE("maxBytes 0 never rotates") {
        REQUIRE_FALSE(f.open(path, false, RotationPolicy{0, 5, std::chrono::seconds(0)}));
        for (int i = 0; i < 100; ++i) {
            CHECK_FALSE(f.write(numbered(i)));
        }
        CHECK(LogFile::rotatedFiles(path).empty());
        CHECK(f.size() == 900);
    }
    SUBCASE("keep 0 discards the old contents") {
        REQUIRE_FALSE(f.open(path, false, RotationPolicy{10, 0, std::chrono::seconds(0)}));
        CHECK_FALSE(f.write("first line\n"));
        CHECK_FALSE(f.write("second\n"));
        CHECK(LogFile::rotatedFiles(path).empty());
        CHECK(slurp(path) == "second\n");
    }
    SUBCASE("files beyond a lowered keep go, gaps are tolerated") {
        for (int n : {1, 2, 4, 7}) {
            spit(path + "." + std::to_string(n), std::to_string(n));
        }
        spit(path, "current\n");
        REQUIRE_FALSE(f.open(path, true, RotationPolicy{10, 3, std::chrono::seconds(0)}));
        CHECK_FALSE(f.write("next\n"));
        CHECK(LogFile::rotatedFiles(path) ==
              std::vector<std::string>{path + ".1", path + ".2", path + ".3"});
        CHECK(slurp(path + ".1") == "current\n");
        CHECK(slurp(path + ".2") == "1");
        CHECK(slurp(path + ".3") == "2");
    }
    SUBCASE("rotate() on demand") {
        REQUIRE_FALSE(f.open(path, false));
        CHECK_FALSE(f.write("a\n"));
        CHECK_FALSE(f.rotate());
        CHECK(f.size() == 0);
        CHECK_FALSE(f.write("b\n"));
        CHECK(slurp(path + ".1") == "a\n");
        CHECK(slurp(path) == "b\n");
    }
}

TEST_CASE("rotatedFiles lists only path.N, by N") {
    TempDir dir;
    std::string path = dir / "out.log";
    for (const char* name : {"out.log.10", "out.log.2", "out.log.1", "out.log.1.gz", "out.log.01",
                             "out.log.", "out.log.x", "out.logx.1", "other.log.1"}) {
        spit(dir / name, "x");
    }
    CHECK(LogFile::rotatedFiles(path) ==
          std::vector<std::string>{path + ".1", path + ".2", path + ".10"});
    CHECK(LogFile::rotatedFiles(dir / "missing-dir/out.log").empty());
}

TEST_CASE("pruneOld deletes rotated files older than maxAge, nothing else") {
    TempDir dir;
    std::string path = dir / "out.log";
    auto now = std::chrono::system_clock::now();
    auto day = std::chrono::hours(24);
    for (int n = 1; n <= 4; ++n) {
        spit(path + "." + std::to_string(n), "x\n");
        setAge(path + "." + std::to_string(n), now - n * 10 * day);  // 10, 20, 30, 40 days
    }
    spit(path + ".1.gz", "x");
    setAge(path + ".1.gz", now - 400 * day);
    spit(path, "current\n");
    setAge(path, now - 400 * day);

    LogFile f;
    SUBCASE("maxAge 0 keeps everything") {
        REQUIRE_FALSE(f.open(path, true, RotationPolicy{0, 5, std::chrono::seconds(0)}));
        CHECK(f.pruneOld(now + 1000 * day) == 0);
        CHECK(LogFile::rotatedFiles(path).size() == 4);
    }
    SUBCASE("open prunes, and so do later calls") {
        RotationPolicy policy{0, 5, std::chrono::hours(24 * 25)};
        REQUIRE_FALSE(f.open(path, true, policy));
        CHECK(LogFile::rotatedFiles(path) == std::vector<std::string>{path + ".1", path + ".2"});
        CHECK(f.pruneOld(now + 10 * day) == 1);
        CHECK(LogFile::rotatedFiles(path) == std::vector<std::string>{path + ".1"});
        CHECK(fs::exists(path));
        CHECK(fs::exists(path + ".1.gz"));
    }
    SUBCASE("rotation prunes") {
        REQUIRE_FALSE(f.open(path, true, RotationPolicy{10, 9, std::chrono::hours(24 * 25)}));
        setAge(path + ".1", now - 100 * day);  // becomes .2 at rotation, then pruned
        setAge(path, now);
        CHECK_FALSE(f.write("new line\n"));
        CHECK(LogFile::rotatedFiles(path) == std::vector<std::string>{path + ".1", path + ".3"});
        CHECK(slurp(path + ".1") == "current\n");
    }
    SUBCASE("a file last written long ago goes at its rotation") {
        REQUIRE_FALSE(f.open(path, true, RotationPolicy{10, 9, std::chrono::hours(24 * 25)}));
        CHECK_FALSE(f.write("new line\n"));
        CHECK(LogFile::rotatedFiles(path) == std::vector<std::string>{path + ".2", path + ".3"});
        CHECK(slurp(path) == "new line\n");
    }
}

TEST_CASE("write errors are returned, remembered, and do not crash") {
    SUBCASE("ENOSPC") {
        LogFile f;
        REQUIRE_FALSE(f.open("/dev/full", false, RotationPolicy{1, 5, std::chrono::seconds(0)}));
        std::error_code ec = f.write("lost\n");
        CHECK(ec == std::errc::no_space_on_device);
        CHECK(f.lastError() == std::errc::no_space_on_device);
        CHECK(f.write("again\n") == std::errc::no_space_on_device);
        CHECK(f.size() == 0);
    }
    SUBCASE("device paths are written to, never rotated") {
        LogFile f;
        REQUIRE_FALSE(f.open("/dev/null", true, RotationPolicy{1, 5, std::chrono::seconds(0)}));
        for (int i = 0; i < 10; ++i) {
            CHECK_FALSE(f.write("x\n"));
        }
        CHECK(fs::exists("/dev/null"));
        CHECK_FALSE(fs::exists("/dev/null.1"));
        CHECK_FALSE(f.lastError());
    }
    SUBCASE("a FIFO without a reader fails instead of blocking") {
        TempDir dir;
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        LogFile f;
        CHECK(f.open(dir / "fifo", true) == std::errc::no_such_device_or_address);
        CHECK_FALSE(f.isOpen());
    }
    SUBCASE("missing directory, and writing when not open") {
        TempDir dir;
        LogFile f;
        CHECK(f.open(dir / "nope/out.log", false) == std::errc::no_such_file_or_directory);
        CHECK(f.lastError() == std::errc::no_such_file_or_directory);
        CHECK(f.write("x\n") == std::errc::bad_file_descriptor);
        CHECK(LogFile().reopen() == std::errc::bad_file_descriptor);
    }
}

TEST_CASE("an unwritable directory gives EACCES; a failed rotation loses no line") {
    TempDir dir;
    ::chmod(dir.path.c_str(), 0755);
    // Root ignores permissions, so the checks run as nobody in a child.
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::geteuid() == 0 && (::chown(dir.path.c_str(), 65534, 65534) != 0 ||
                                 ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
            ::_exit(10);
        }
        std::string path = dir / "out.log";
        LogFile f;
        if (f.open(path, false, RotationPolicy{10, 5, std::chrono::seconds(0)}) ||
            f.write("0123456789\n")) {
            ::_exit(11);
        }
        ::chmod(dir.path.c_str(), 0555);
        LogFile denied;
        if (denied.open(dir / "other.log", false) != std::errc::permission_denied) {
            ::_exit(12);
        }
        // Rotation cannot rename: the line still goes to the current file.
        if (f.write("second\n") != std::errc::permission_denied ||
            f.lastError() != std::errc::permission_denied) {
            ::_exit(13);
        }
        // Not retried on every line; the error is cleared by a clean write.
        if (f.write("third\n") || f.lastError()) {
            ::_exit(14);
        }
        if (slurp(path) != "0123456789\nsecond\nthird\n" || !LogFile::rotatedFiles(path).empty()) {
            ::_exit(15);
        }
        ::chmod(dir.path.c_str(), 0755);
        if (f.rotate() || slurp(path + ".1") != "0123456789\nsecond\nthird\n") {
            ::_exit(16);
        }
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a write that fails part-way leaves no torn line") {
    TempDir dir;
    std::string path = dir / "out.log";
    LogFile f;
    REQUIRE_FALSE(f.open(path, false, RotationPolicy{0, 5, std::chrono::seconds(0)}));
    REQUIRE_FALSE(f.write(std::string(59, 'a') + "\n"));
    // RLIMIT_FSIZE makes the kernel accept only part of the next write.
    struct rlimit old {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 100;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::error_code ec = f.write(std::string(59, 'b') + "\n");
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);
    CHECK(ec == std::errc::file_too_large);
    CHECK(slurp(path) == std::string(59, 'a') + "\n");
    CHECK(f.size() == 60);
    CHECK_FALSE(f.write("ok\n"));
    CHECK(slurp(path) == std::string(59, 'a') + "\nok\n");
}

TEST_CASE("reopen follows the path after the file was moved away") {
    TempDir dir;
    std::string path = dir / "out.log";
    LogFile f;
    REQUIRE_FALSE(f.open(path, false));
    CHECK_FALSE(f.write("before\n"));
    fs::rename(path, dir / "moved.log");
    CHECK_FALSE(f.write("still old inode\n"));
    CHECK_FALSE(f.reopen());
    CHECK(f.size() == 0);
    CHECK_FALSE(f.write("after\n"));
    CHECK(slurp(dir / "moved.log") == "before\nstill old inode\n");
    CHECK(slurp(path) == "after\n");
}
