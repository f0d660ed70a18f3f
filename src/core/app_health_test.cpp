// The watchers judge and report; nothing here kills or restarts.
#include "core/app_health.hpp"

#include <doctest/doctest.h>

#include "testing/fake_event_loop.hpp"
#include "testing/fake_process_control.hpp"

using namespace forever;
using forever::test::FakeEventLoop;
using forever::test::FakeProcessControl;

namespace {

struct Harness {
    FakeEventLoop loop;
    FakeProcessControl control;
    KillPlan killPlan{loop, control};
    std::vector<std::string> reports;
    AppHealth health{
        loop,
        killPlan,
        {.ready = [this](Process&) { reports.push_back("ready"); },
         .changed = [this](Process&) { reports.push_back("changed"); },
         .incoming = [this](Process&, const NotifyFields&) { reports.push_back("incoming"); },
         .hung = [this](Process&, const std::string& why) { reports.push_back("hung: " + why); },
         .unhealthy = [this](Process&, const std::string&) { reports.push_back("unhealthy"); },
         .fileChanged = [this](Process&, const std::string&) { reports.push_back("file"); }}};
    Process p;

    Harness() {
        SpawnRequest request;
        p.spec.uid = "app";
        request.spec = &p.spec;
        auto spawned = control.spawn(request);  // a fake child, alive
        p.run.pid = spawned.pid;
        p.run.pidfd = std::move(spawned.pidfd);
        p.state = ProcState::Running;
    }
};

}  // namespace

TEST_CASE("maxMemory: only a running process above its limit is to be restarted") {
    Process p;
    p.spec.uid = "big";
    p.spec.maxMemory = 100;
    p.state = ProcState::Running;
    REQUIRE(AppHealth::overMemory(p, 101));
    CHECK(AppHealth::overMemory(p, 101)->find("above maxMemory 100") != std::string::npos);
    CHECK_FALSE(AppHealth::overMemory(p, 100));
    p.state = ProcState::Restarting;
    CHECK_FALSE(AppHealth::overMemory(p, 1000));
    p.state = ProcState::Running;
    p.spec.maxMemory = 0;
    CHECK_FALSE(AppHealth::overMemory(p, 1u << 30));
}

TEST_CASE("watchdog: hung after watchdogSec without WATCHDOG=1; each WATCHDOG=1 re-arms it") {
    Harness h;
    h.p.spec.watchdogSec = 2;
    h.health.runBegan(h.p);
    h.loop.advance(Millis(1500));
    h.health.onNotify(h.p, h.p.run.pid, {{"WATCHDOG", "1"}});
    h.loop.advance(Millis(1999));
    CHECK(h.reports.empty());
    h.loop.advance(Millis(1));
    CHECK(h.reports == std::vector<std::string>{"hung: no WATCHDOG=1 for 2 s"});
}

TEST_CASE("watchdog: WATCHDOG=trigger reports at once; a run that ended is not watched") {
    Harness h;
    h.p.spec.watchdogSec = 2;
    h.health.runBegan(h.p);
    h.health.onNotify(h.p, h.p.run.pid, {{"WATCHDOG", "trigger"}});
    h.loop.advance(Millis(0));
    CHECK(h.reports == std::vector<std::string>{"hung: the app asked (WATCHDOG=trigger)"});

    Harness ended;
    ended.p.spec.watchdogSec = 2;
    ended.health.runBegan(ended.p);
    ended.health.runEnded(ended.p);
    ended.loop.advance(Millis(10000));
    CHECK(ended.reports.empty());
}

TEST_CASE("READY=1 from the run makes it running; strangers are not heard") {
    Harness h;
    h.p.spec.waitReady = true;
    h.p.state = ProcState::Starting;
    h.health.onNotify(h.p, 4242, {{"READY", "1"}});  // not the run, its group or tree
    CHECK(h.reports.empty());
    CHECK_FALSE(h.p.run.ready);

    h.health.onNotify(h.p, h.p.run.pid, {{"READY", "1"}, {"STATUS", "serving"}});
    CHECK(h.p.run.ready);
    CHECK(toString(h.p.state) == "running");
    CHECK(h.p.run.statusText == "serving");
    CHECK(h.reports == std::vector<std::string>{"ready", "changed"});
}
