#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/proc_tree.hpp"
#include "testing/temp_dir.hpp"

using namespace forever;
namespace fs = std::filesystem;

namespace {
std::string statLine(pid_t pid, const std::string& comm, pid_t ppid, pid_t pgid) {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
    // cmajflt utime stime cutime cstime priority nice threads itrealvalue
    // starttime vsize rss
    return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " " +
           std::to_string(pgid) +
           " 1 0 -1 0 0 0 0 0 7 3 4 1 20 0 6 0 12345 1000 42 18446744073709551615";
}

struct FakeProc {
    forever::test::TempDir dir{"forever-proc"};
    fs::path root = dir.path;
    void add(pid_t pid, pid_t ppid, pid_t pgid, const std::string& env = "") {
        fs::create_directories(root / std::to_string(pid));
        std::ofstream(root / std::to_string(pid) / "stat") << statLine(pid, "node", ppid, pgid);
        std::ofstream(root / std::to_string(pid) / "environ") << env;
    }
};
}  // namespace

TEST_CASE("parseStat reads fields after the last parenthesis") {
    auto st = parseStat(statLine(77, "my (weird) app) x", 1, 77));
    REQUIRE(st);
    CHECK(st->pid == 77);
    CHECK(st->ppid == 1);
    CHECK(st->pgid == 77);
    CHECK(st->state == 'S');
    CHECK(st->utimeTicks == 7);
    CHECK(st->stimeTicks == 3);
    CHECK(st->reapedChildrenTicks == 5);
    CHECK(st->startTimeTicks == 12345);
    CHECK(st->rssPages == 42);
    CHECK(st->threads == 6);
    CHECK_FALSE(parseStat(""));
    CHECK_FALSE(parseStat("12 (no closing paren S 1 2"));
    CHECK_FALSE(parseStat("12 (short) S 1 2 3"));
    CHECK_FALSE(parseStat("x (bad pid) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21"));
}

TEST_CASE("descendantsIn: the whole subtree, parents first, nothing else") {
    std::vector<ProcStat> table;
    auto add = [&](pid_t pid, pid_t ppid) {
        ProcStat s;
        s.pid = pid;
        s.ppid = ppid;
        table.push_back(s);
    };
    add(1, 0);
    add(10, 1);
    add(11, 10);
    add(12, 10);
    add(13, 12);
    add(20, 1);
    add(21, 20);
    auto d = descendantsIn(10, table);
    CHECK(d.size() == 3);
    CHECK(std::find(d.begin(), d.end(), 21) == d.end());
    auto pos = [&](pid_t p) { return std::find(d.begin(), d.end(), p) - d.begin(); };
    CHECK(pos(12) < pos(13));
    CHECK(descendantsIn(13, table).empty());
}

TEST_CASE("a fabricated /proc: readStat, descendants, groups, environment markers") {
    FakeProc proc;
    proc.add(100, 1, 100, std::string("A=1\0FOREVER_UID=web\0", 20));
    proc.add(101, 100, 100, std::string("FOREVER_UID=web2\0", 17));
    proc.add(102, 101, 555, std::string("FOREVER_UID=web\0FOREVER_EVENT=crash-loop\0", 41));
    proc.add(103, 101, 556, std::string("FOREVER_UID=web\0", 16));
    proc.add(200, 1, 200);
    fs::create_directories(proc.root / "self");  // non-numeric entries are skipped
    auto st = readStat(101, proc.root);
    REQUIRE(st);
    CHECK(st->ppid == 100);
    CHECK_FALSE(readStat(999, proc.root));
    auto d = descendants(100, proc.root);
    std::sort(d.begin(), d.end());
    CHECK(d == std::vector<pid_t>{101, 102, 103});
    auto group = processGroupMembers(100, proc.root);
    std::sort(group.begin(), group.end());
    CHECK(group == std::vector<pid_t>{100, 101});
    // Whole entries only ("web2" is not "web"), and `unless` excludes.
    auto carrying =
        descendantsCarrying(1, "FOREVER_UID=web", "FOREVER_EVENT=crash-loop", proc.root);
    std::sort(carrying.begin(), carrying.end());
    CHECK(carrying == std::vector<pid_t>{100, 103});
}

TEST_CASE("the real /proc") {
    auto self = readStat(::getpid());
    REQUIRE(self);
    CHECK(self->pid == ::getpid());
    CHECK(self->ppid == ::getppid());
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    auto d = descendants(::getpid());
    CHECK(std::find(d.begin(), d.end(), child) != d.end());
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    d = descendants(::getpid());
    CHECK(std::find(d.begin(), d.end(), child) == d.end());
}
