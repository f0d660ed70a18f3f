#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/proc_tree.hpp"
#include "core/spawner.hpp"

using namespace forever;

namespace {
// `sleep 30` with its output thrown away.
struct Sleeper {
    ProcessSpec spec;
    SpawnRequest request;
    Sleeper() {
        spec.uid = "t";
        spec.script = "/bin/sleep";
        spec.args = {"30"};
        spec.workingDir = "/";
        request.spec = &spec;
        request.stdoutTo = OutputTarget::Null;
        request.stderrTo = OutputTarget::Null;
    }
    Sleeper(const Sleeper&) = delete;
};
}  // namespace

TEST_CASE("a spawned process's start time, when known at spawn, is the one /proc gives") {
    Sleeper sleeper;
    const SpawnRequest& request = sleeper.request;
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

namespace {
std::string statusField(pid_t pid, const std::string& name) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(name + ":", 0) == 0) {
            return line.substr(name.size() + 1);
        }
    }
    return "?";
}
}  // namespace

TEST_CASE("a child does not inherit the signals we ignore, nor those we catch") {
    auto oldPipe = std::signal(SIGPIPE, SIG_IGN);
    auto oldUsr2 = std::signal(SIGUSR2, SIG_IGN);
    auto oldUsr1 = std::signal(SIGUSR1, [](int) {});
    Sleeper sleeper;
    const SpawnRequest& request = sleeper.request;
    SpawnedProcess spawned = spawnProcess(request);  // returns once it has exec'd
    const std::string ignored = statusField(spawned.pid, "SigIgn");
    const std::string caught = statusField(spawned.pid, "SigCgt");
    ::kill(spawned.pid, SIGKILL);
    ::waitpid(spawned.pid, nullptr, 0);
    std::signal(SIGPIPE, oldPipe);
    std::signal(SIGUSR2, oldUsr2);
    std::signal(SIGUSR1, oldUsr1);
    CHECK(statusField(::getpid(), "SigIgn") != "?");
    CHECK(std::strtoull(ignored.c_str(), nullptr, 16) == 0);
    CHECK(std::strtoull(caught.c_str(), nullptr, 16) == 0);
}
