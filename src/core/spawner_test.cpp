#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include "core/proc_tree.hpp"
#include "core/spawner.hpp"

using namespace forever;

TEST_CASE("a spawned process's start time, when known at spawn, is the one /proc gives") {
    ProcessSpec spec;
    spec.uid = "t";
    spec.script = "/bin/sleep";
    spec.args = {"30"};
    spec.workingDir = "/";
    SpawnRequest request;
    request.spec = &spec;
    request.stdoutTo = OutputTarget::Null;
    request.stderrTo = OutputTarget::Null;
    int known = 0;
    for (int i = 0; i < 200; ++i) {
        SpawnedProcess spawned = spawnProcess(request);
        auto st = readStat(spawned.pid);
        ::kill(spawned.pid, SIGKILL);
        ::waitpid(spawned.pid, nullptr, 0);
        REQUIRE(st);
        if (spawned.startTimeTicks != 0) {
            ++known;
            CHECK(spawned.startTimeTicks == st->startTimeTicks);
        }
    }
    // A spawn (to the exec) mostly takes less than a tick (10 ms); a loaded
    // or sanitized run crosses more of them, never nearly all.
    CHECK(known >= 20);
}
