#include "core/process_table.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace forever;

namespace {

Process& addProcess(ProcessTable& table, const std::string& uid, const std::string& script,
                    pid_t pid = 0) {
    auto p = std::make_unique<Process>();
    p->spec.uid = uid;
    p->spec.script = script;
    p->run.pid = pid;
    return table.add(std::move(p));
}

}  // namespace

TEST_CASE("finds a process by uid, by pid and by the pid of a reload's incoming run") {
    ProcessTable table;
    Process& a = addProcess(table, "aaaa", "/srv/a.js", 100);
    Process& b = addProcess(table, "bbbb", "/srv/b.js", 200);
    b.incoming = std::make_unique<Run>();
    b.incoming->pid = 300;

    CHECK(table.findByUid("aaaa") == &a);
    CHECK(table.findByUid("zzzz") == nullptr);
    CHECK(table.findByPid(200) == &b);
    CHECK(table.findByPid(300) == nullptr);  // not its current run
    CHECK(table.findByPid(0) == nullptr);    // a stopped process has pid 0
    CHECK(table.findByIncomingPid(300) == &b);
    CHECK(table.findByIncomingPid(100) == nullptr);
}

TEST_CASE("indexes move down when a process leaves; runningCount counts live runs") {
    ProcessTable table;
    Process& a = addProcess(table, "aaaa", "/srv/a.js", 100);
    addProcess(table, "bbbb", "/srv/b.js");
    Process& c = addProcess(table, "cccc", "/srv/c.js", 300);
    CHECK(table.runningCount() == 2);
    CHECK(table.indexOf(c) == 2);
    table.erase(a);
    CHECK(table.size() == 2);
    CHECK(table.indexOf(c) == 1);
    CHECK(table.runningCount() == 1);
}

TEST_CASE("resolves targets by index, uid and script") {
    ProcessTable table;
    addProcess(table, "aaaa", "/srv/a.js");
    Process& b = addProcess(table, "bbbb", "/srv/b.js");
    REQUIRE(table.resolve("1").size() == 1);
    CHECK(table.resolve("1")[0] == &b);
    CHECK(table.resolve("bbbb") == std::vector<Process*>{&b});
    CHECK(table.resolve("/srv/b.js") == std::vector<Process*>{&b});
    CHECK(table.resolve("nope").empty());
}

TEST_CASE("generated uids are unused, 4 characters, never all digits") {
    ProcessTable table;
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string uid = table.generateUid();
        CHECK(uid.size() == 4);
        CHECK_FALSE(std::all_of(uid.begin(), uid.end(), ::isdigit));
        CHECK(seen.insert(uid).second);
        addProcess(table, uid, "/srv/x.js");
    }
}
