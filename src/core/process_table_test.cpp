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
    table.reloadBegan(b);

    CHECK(table.findByUid("aaaa") == &a);
    CHECK(table.findByUid("zzzz") == nullptr);
    CHECK(table.findByPid(200) == &b);
    CHECK(table.findByPid(300) == nullptr);  // not its current run
    CHECK(table.findByPid(0) == nullptr);    // a stopped process has pid 0
    CHECK(table.findByIncomingPid(300) == &b);
    CHECK(table.findByIncomingPid(100) == nullptr);
    table.reloadEnded(b);
    CHECK(table.findByIncomingPid(300) == nullptr);
}

TEST_CASE("the pid index follows runs, and never answers for a stale pid") {
    ProcessTable table;
    Process& a = addProcess(table, "aaaa", "/srv/a.js", 100);
    Process& b = addProcess(table, "bbbb", "/srv/b.js", 200);
    table.runBegan(a);
    CHECK(table.findByPid(100) == &a);
    CHECK(table.findByPid(200) == &b);  // never hinted: found by the scan
    a.run.pid = 0;                      // its run ended
    CHECK(table.findByPid(100) == nullptr);
    a.run.pid = 101;  // a new run, hinted
    table.runBegan(a);
    CHECK(table.findByPid(101) == &a);
    b.run.pid = 100;  // the old pid, reused by another app's run (no hint)
    CHECK(table.findByPid(100) == &b);
    table.erase(b);  // its index entry goes with it
    CHECK(table.findByPid(100) == nullptr);
    CHECK(table.findByPid(101) == &a);
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

TEST_CASE("indexes stay right through many erases and adds in a row") {
    ProcessTable table;
    std::vector<Process*> all;
    for (int i = 0; i < 50; ++i) {
        all.push_back(&addProcess(table, "p" + std::to_string(i), "/srv/x.js"));
    }
    // Erase every third without asking for an index in between, then add.
    std::vector<Process*> kept;
    for (size_t i = 0; i < all.size(); ++i) {
        if (i % 3 == 0) {
            table.erase(*all[i]);
        } else {
            kept.push_back(all[i]);
        }
    }
    kept.push_back(&addProcess(table, "late", "/srv/y.js"));
    for (size_t i = 0; i < kept.size(); ++i) {
        CHECK(table.indexOf(*kept[i]) == i);
        CHECK(table.entries()[i].get() == kept[i]);
    }
    CHECK(table.findByUid("p3") == nullptr);
    CHECK(table.findByUid("p4") == kept[2]);
}

TEST_CASE("erased places are holes until asked for: lookups, counts and targets skip them") {
    ProcessTable table;
    std::vector<Process*> all;
    for (int i = 0; i < 20; ++i) {
        all.push_back(&addProcess(table, "p" + std::to_string(i), "/srv/x.js", 1000 + i));
    }
    // From the front, as a stopall reaps: nothing asks for a place between.
    for (int i = 0; i < 10; ++i) {
        table.erase(*all[static_cast<size_t>(i)]);
    }
    CHECK(table.size() == 10);
    CHECK(table.runningCount() == 10);
    CHECK(table.findByPid(1005) == nullptr);
    all[15]->run.pid = 2015;  // a run the pid index was not told of: the scan
    CHECK(table.findByPid(2015) == all[15]);
    Process& late = addProcess(table, "late", "/srv/y.js", 3000);
    CHECK(table.resolve("0") == std::vector<Process*>{all[10]});
    CHECK(table.resolve("10") == std::vector<Process*>{&late});
    CHECK(table.indexOf(late) == 10);
    CHECK(table.indexOf(*all[19]) == 9);
    CHECK(table.entries().size() == 11);
    CHECK(table.entries().front().get() == all[10]);
    table.erase(*all[12]);
    CHECK(table.indexOf(*all[13]) == 2);
    CHECK(table.size() == 10);
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
