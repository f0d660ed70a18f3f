// The supervisor's state machine driven by hand: a fake loop for time and
// fds, a fake ProcessControl for processes. No child is ever spawned.
#include "core/supervisor.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/restart_policy.hpp"
#include "testing/fake_event_loop.hpp"
#include "testing/fake_process_control.hpp"

using namespace forever;
using forever::test::FakeEventLoop;
using forever::test::FakeProcessControl;
using Kind = SupervisorEvent::Kind;

namespace {

struct Harness {
    FakeEventLoop loop;
    FakeProcessControl control;
    std::vector<Kind> events;
    Supervisor supervisor{loop, control, SupervisorOptions{},
                          [this](const SupervisorEvent& e) { events.push_back(e.kind); }};

    static ProcessSpec spec(const std::string& uid) {
        ProcessSpec s;
        s.uid = uid;
        s.script = "/bin/sh";  // validated (it must exist), never run
        return s;
    }

    // The kernel's side of a child's death: reapable, and its pidfd readable.
    void dies(pid_t pid, ExitStatus status) {
        int pidfd = -1;
        for (const auto& c : control.children) {
            if (c.pid == pid) {
                pidfd = c.pidfd;
            }
        }
        control.exit(pid, status);
        REQUIRE(loop.fireReadable(pidfd));
    }

    bool sent(pid_t pid, int signal) const {
        return std::find(control.signals.begin(), control.signals.end(),
                         FakeProcessControl::Signal{pid, signal}) != control.signals.end();
    }
};

}  // namespace

TEST_CASE("a crash turns into a relaunch after the policy's delay") {
    Harness h;
    Process& p = h.supervisor.start(Harness::spec("web"));
    REQUIRE(h.control.children.size() == 1);
    const pid_t first = p.run.pid;
    CHECK(first == h.control.last().pid);
    CHECK(h.control.last().extraEnv.at("FOREVER_UID") == "web");
    CHECK(toString(p.state) == "running");
    CHECK(h.events == std::vector<Kind>{Kind::Added, Kind::Started});

    h.loop.advance(Millis(2000));  // past minUptime: not spinning
    h.events.clear();
    h.dies(first, ExitStatus::exited(1));
    CHECK(p.lastPid == first);
    CHECK(p.lastExit.code == 1);
    CHECK(p.restarts == 1);

    const Millis delay = backoffDelay(p.spec, 1);
    if (delay.count() > 0) {
        CHECK(toString(p.state) == "waiting");
        CHECK_FALSE(p.alive());
        h.loop.advance(delay - Millis(1));
        CHECK(h.control.children.size() == 1);
    }
    h.loop.advance(Millis(1));
    REQUIRE(h.control.children.size() == 2);
    CHECK(p.run.pid == h.control.last().pid);
    CHECK(p.run.pid != first);
    CHECK(toString(p.state) == "running");
    CHECK(h.events == std::vector<Kind>{Kind::Exited, Kind::Changed, Kind::Started});
    // What the dead run left in its group was swept.
    CHECK_FALSE(h.sent(-first, SIGTERM));  // its group was already gone
}

TEST_CASE("a run that dies before minUptime without spinSleepTime is given up on") {
    Harness h;
    Process& p = h.supervisor.start(Harness::spec("spin"));
    h.loop.advance(Millis(10));
    h.dies(p.run.pid, ExitStatus::killed(SIGSEGV));
    h.loop.advance(Millis(60000));
    CHECK(h.control.children.size() == 1);
    CHECK(toString(p.state) == "failed");
    CHECK_FALSE(p.reason.empty());
    CHECK(h.events.back() == Kind::GaveUp);
}

TEST_CASE("stop: killSignal, SIGKILL after killTimeout, removed once reaped") {
    Harness h;
    Process& p = h.supervisor.start(Harness::spec("api"));
    const pid_t pid = p.run.pid;
    bool done = false;
    h.supervisor.stop(p, [&] { done = true; });
    CHECK(toString(p.state) == "stopping");
    CHECK(h.sent(-pid, SIGTERM));  // the group
    CHECK(h.sent(pid, SIGTERM));   // and the main process, by pidfd
    CHECK_FALSE(h.sent(pid, SIGKILL));

    h.loop.advance(p.spec.killTimeout - Millis(1));
    CHECK_FALSE(h.sent(pid, SIGKILL));
    h.loop.advance(Millis(1));
    CHECK(h.sent(-pid, SIGKILL));
    CHECK(h.sent(pid, SIGKILL));
    CHECK_FALSE(done);
    CHECK(h.supervisor.processes().size() == 1);

    h.events.clear();
    h.dies(pid, ExitStatus::killed(SIGKILL));
    CHECK(done);
    CHECK(h.supervisor.processes().empty());
    CHECK(h.events == std::vector<Kind>{Kind::Exited, Kind::Removed});
    h.loop.advance(Millis(60000));
    CHECK(h.control.children.size() == 1);  // nothing relaunched it
}

TEST_CASE("restart: the old run is stopped, then one new run serves every caller") {
    Harness h;
    Process& p = h.supervisor.start(Harness::spec("job"));
    const pid_t old = p.run.pid;
    int replies = 0;
    h.supervisor.restart(p, [&] { ++replies; });
    h.supervisor.restart(p, [&] { ++replies; });
    CHECK(toString(p.state) == "restarting");
    CHECK(h.sent(old, SIGTERM));
    h.dies(old, ExitStatus::killed(SIGTERM));
    CHECK(replies == 2);
    REQUIRE(h.control.children.size() == 2);
    CHECK(p.run.pid == h.control.last().pid);
    CHECK(toString(p.state) == "running");
    CHECK(p.restarts == 1);
}

TEST_CASE("a relaunch that cannot spawn marks the process failed") {
    Harness h;
    Process& p = h.supervisor.start(Harness::spec("gone"));
    h.loop.advance(Millis(2000));
    h.control.failNextSpawn = "exec: no such file";
    h.dies(p.run.pid, ExitStatus::exited(1));
    h.loop.advance(Millis(60000));
    CHECK(toString(p.state) == "failed");
    CHECK(p.reason.find("no such file") != std::string::npos);
    CHECK(h.events.back() == Kind::GaveUp);
}

TEST_CASE("halt stops every run and keeps the table") {
    Harness h;
    Process& a = h.supervisor.start(Harness::spec("a"));
    Process& b = h.supervisor.start(Harness::spec("b"));
    bool halted = false;
    h.supervisor.halt([&] { halted = true; });
    CHECK_FALSE(halted);
    h.dies(a.run.pid, ExitStatus::killed(SIGTERM));
    CHECK_FALSE(halted);
    h.dies(b.run.pid, ExitStatus::killed(SIGTERM));
    CHECK(halted);
    CHECK(h.supervisor.processes().size() == 2);
    CHECK(toString(a.state) == "stopped");
    CHECK(toString(b.state) == "stopped");
}

namespace {
std::vector<ProcessSpec> specs(size_t n, const std::string& prefix = "app") {
    std::vector<ProcessSpec> out;
    for (size_t i = 0; i < n; ++i) {
        out.push_back(Harness::spec(prefix + std::to_string(i)));
    }
    return out;
}
}  // namespace

// Every bulk start spawned and entered: the deferred slices, then the
// workers' spawns and what their completions hand on.
void settle(Harness& h) {
    h.loop.runPending();
    h.loop.completeAllBlocking();
}

TEST_CASE("startMany spawns a slice at a time off the loop and answers once all are in") {
    Harness h;
    const size_t n = 2 * Supervisor::kSpawnSlice + 5;
    std::vector<Supervisor::StartResult> results;
    bool answered = false;
    h.supervisor.startMany(specs(n), [&](std::vector<Supervisor::StartResult> r) {
        results = std::move(r);
        answered = true;
    });
    CHECK(h.control.children.empty());  // nothing in the caller's dispatch
    CHECK(h.loop.runPending(1) == 1);
    CHECK(h.control.children.empty());  // handed to a worker
    CHECK(h.loop.pendingBlocking() == 1);
    CHECK(h.supervisor.spawningOffLoop());
    // The worker spawns the slice; back on the loop, the next slice is
    // handed on before this one enters the table (the two overlap).
    REQUIRE(h.loop.completeBlocking());
    CHECK(h.control.children.size() == Supervisor::kSpawnSlice);
    CHECK(h.supervisor.processes().size() == Supervisor::kSpawnSlice);
    CHECK(h.loop.pendingBlocking() == 1);
    CHECK_FALSE(answered);
    // Meanwhile the loop serves others: here a lone start.
    h.supervisor.start(Harness::spec("between"));
    REQUIRE(h.loop.completeBlocking());
    CHECK(h.control.children.size() == 2 * Supervisor::kSpawnSlice + 1);
    CHECK_FALSE(answered);
    settle(h);
    REQUIRE(answered);
    CHECK_FALSE(h.supervisor.spawningOffLoop());
    REQUIRE(results.size() == n);
    for (size_t i = 0; i < n; ++i) {
        CHECK(results[i].uid == "app" + std::to_string(i));
        CHECK(results[i].error.empty());
        CHECK(h.supervisor.findByUid(results[i].uid)->run.pid > 0);
    }
    // In the table in the order given (the lone start came between).
    CHECK(h.supervisor.indexOf(*h.supervisor.findByUid("app0")) == 0);
    CHECK(h.supervisor.indexOf(*h.supervisor.findByUid("between")) == Supervisor::kSpawnSlice);
}

TEST_CASE("startMany: a spawn that fails off the loop fails only its spec") {
    Harness h;
    std::vector<Supervisor::StartResult> results;
    h.supervisor.startMany(specs(3), [&](auto r) { results = std::move(r); });
    h.control.failNextSpawn = "no such file";
    settle(h);
    REQUIRE(results.size() == 3);
    CHECK(results[0].error.find("no such file") != std::string::npos);
    CHECK(results[1].error.empty());
    CHECK(results[2].error.empty());
    CHECK_FALSE(h.supervisor.findByUid("app0"));
    CHECK(h.supervisor.processes().size() == 2);
}

TEST_CASE("startMany: a lone start of a uid the batch has queued is refused, the batch goes on") {
    Harness h;
    std::vector<Supervisor::StartResult> results;
    h.supervisor.startMany(specs(3), [&](auto r) { results = std::move(r); });
    CHECK_THROWS_AS(h.supervisor.start(Harness::spec("app1")), SupervisorError);
    h.loop.runPending();
    // Still taken while its slice is spawned off the loop.
    CHECK_THROWS_AS(h.supervisor.start(Harness::spec("app1")), SupervisorError);
    settle(h);
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
        CHECK(r.error.empty());
    }
    CHECK(h.control.children.size() == 3);  // app1 once, by the batch
}

TEST_CASE("cancelPendingStarts and halt drop what a bulk start has not spawned") {
    Harness h;
    const size_t n = Supervisor::kSpawnSlice + 3;
    std::vector<Supervisor::StartResult> first;
    std::vector<Supervisor::StartResult> second;
    h.supervisor.startMany(specs(n, "a"), [&](auto r) { first = std::move(r); });
    h.supervisor.startMany(specs(2, "b"), [&](auto r) { second = std::move(r); });
    h.loop.runPending(1);
    REQUIRE(h.loop.completeBlocking());
    REQUIRE(h.control.children.size() == Supervisor::kSpawnSlice);
    // The second slice (a's last 3, b's 2) is on a worker now.
    REQUIRE(h.supervisor.spawningOffLoop());
    bool halted = false;

    SUBCASE("a stopall cancels") {
        h.supervisor.cancelPendingStarts("stopped before its turn");
    }
    SUBCASE("a halt cancels, and completes once the slice on the worker is back") {
        h.supervisor.halt([&] { halted = true; });
        CHECK_FALSE(halted);
        for (size_t i = 0; i < Supervisor::kSpawnSlice; ++i) {
            h.dies(h.supervisor.findByUid("a" + std::to_string(i))->run.pid,
                   ExitStatus::killed(SIGTERM));
        }
        CHECK_FALSE(halted);  // the slice's spawns could outlive foreverd
    }
    CHECK(first.empty());  // its last 3 are being spawned
    // The worker spawns them anyway; back on the loop they are killed.
    REQUIRE(h.loop.completeBlocking());
    CHECK(h.control.children.size() == Supervisor::kSpawnSlice + 5);
    for (size_t i = Supervisor::kSpawnSlice; i < Supervisor::kSpawnSlice + 5; ++i) {
        CHECK(h.sent(h.control.children[i].pid, SIGKILL));
    }
    REQUIRE(first.size() == n);
    REQUIRE(second.size() == 2);
    for (size_t i = 0; i < n; ++i) {
        CHECK(first[i].error.empty() == (i < Supervisor::kSpawnSlice));
        CHECK(bool(h.supervisor.findByUid(first[i].uid)) == (i < Supervisor::kSpawnSlice));
    }
    CHECK_FALSE(second[0].error.empty());
    CHECK_FALSE(second[1].error.empty());
    CHECK_FALSE(h.supervisor.spawningOffLoop());
    settle(h);
    CHECK(h.control.children.size() == Supervisor::kSpawnSlice + 5);  // nothing after
    if (h.supervisor.findByUid("a0")->state == ProcState::Stopped) {
        CHECK(halted);
    }
}

TEST_CASE("instances in one slice share their listen socket") {
    Harness h;
    // A port free now: the kernel's pick for a socket bound and closed.
    int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(probe >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(probe);
    std::vector<ProcessSpec> batch = specs(3, "api-");
    for (auto& s : batch) {
        s.listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    }
    std::vector<Supervisor::StartResult> results;
    h.supervisor.startMany(std::move(batch), [&](auto r) { results = std::move(r); });
    settle(h);
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
        REQUIRE(r.error == "");
    }
    struct stat first {
    }, other{};
    REQUIRE(::fstat(h.supervisor.findByUid("api-0")->listenSocket.get(), &first) == 0);
    for (const char* uid : {"api-1", "api-2"}) {
        REQUIRE(::fstat(h.supervisor.findByUid(uid)->listenSocket.get(), &other) == 0);
        CHECK(other.st_ino == first.st_ino);  // one socket, not three binds
    }
}

TEST_CASE("startMany of nothing answers at once") {
    Harness h;
    bool answered = false;
    h.supervisor.startMany({}, [&](auto r) {
        answered = true;
        CHECK(r.empty());
    });
    CHECK(answered);
}

TEST_CASE("a uid queued in a bulk start is taken: prepare refuses it, generated ones avoid it") {
    Harness h;
    h.supervisor.startMany(specs(2), [](auto) {});
    ProcessSpec same = Harness::spec("app1");
    CHECK_THROWS_AS(h.supervisor.prepare(same), SupervisorError);
    settle(h);
    CHECK(h.supervisor.findByUid("app1"));
}

TEST_CASE("cancelPendingStarts with a filter cancels only what it accepts") {
    Harness h;
    std::vector<Supervisor::StartResult> results;
    h.supervisor.startMany(specs(4), [&](auto r) { results = std::move(r); });
    h.supervisor.cancelPendingStarts(
        "not yours", [](const ProcessSpec& s) { return s.uid == "app1" || s.uid == "app3"; });
    CHECK(results.empty());  // app0 and app2 still to spawn
    ProcessSpec freed = Harness::spec("app1");
    CHECK_NOTHROW(h.supervisor.prepare(freed));  // no longer queued
    settle(h);
    REQUIRE(results.size() == 4);
    CHECK(results[0].error.empty());
    CHECK(results[1].error == "not yours");
    CHECK(results[2].error.empty());
    CHECK(results[3].error == "not yours");
    CHECK(h.control.children.size() == 2);
}

TEST_CASE("a bulk start asked during a halt is refused, and a throwing answer stops no other") {
    Harness h;
    bool secondAnswered = false;
    h.supervisor.startMany(specs(2, "a"),
                           [](auto) { throw std::runtime_error("the bus is gone"); });
    h.supervisor.startMany(specs(2, "b"), [&](auto) { secondAnswered = true; });
    bool halted = false;
    CHECK_THROWS_AS(h.supervisor.halt([&] { halted = true; }), std::runtime_error);
    CHECK(secondAnswered);
    CHECK(halted);  // nothing ran: the halt completed in spite of the throw
    std::vector<Supervisor::StartResult> late;
    h.supervisor.startMany(specs(1, "c"), [&](auto r) { late = std::move(r); });
    REQUIRE(late.size() == 1);
    CHECK(late[0].error == "foreverd is stopping");
    settle(h);
    CHECK(h.control.children.empty());
}
