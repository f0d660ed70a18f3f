// The stop sequence against a fake ProcessControl: which signals go where,
// and when.
#include "core/kill_plan.hpp"

#include <doctest/doctest.h>
#include <signal.h>

#include "testing/fake_event_loop.hpp"
#include "testing/fake_process_control.hpp"

using namespace forever;
using forever::test::FakeEventLoop;
using forever::test::FakeProcessControl;
using Signal = FakeProcessControl::Signal;

namespace {

Run fakeRun(FakeProcessControl& control, const ProcessSpec& spec) {
    SpawnRequest request;
    request.spec = &spec;
    auto spawned = control.spawn(request);
    Run run;
    run.pid = spawned.pid;
    run.pidfd = std::move(spawned.pidfd);
    return run;
}

}  // namespace

TEST_CASE("beginStop: killSignal to the group and the process, SIGKILL after killTimeout") {
    FakeEventLoop loop;
    FakeProcessControl control;
    KillPlan plan(loop, control);
    Process p;
    p.spec.uid = "app";
    p.spec.killSignal = SIGINT;
    p.spec.killTimeout = Millis(3000);
    p.run = fakeRun(control, p.spec);
    const pid_t pid = p.run.pid;

    plan.beginStop(p);
    CHECK(control.signals == std::vector<Signal>{{-pid, SIGINT}, {pid, SIGINT}});
    loop.advance(Millis(2999));
    CHECK(control.signals.size() == 2);
    loop.advance(Millis(1));
    CHECK(control.signals ==
          std::vector<Signal>{{-pid, SIGINT}, {pid, SIGINT}, {-pid, SIGKILL}, {pid, SIGKILL}});
}

TEST_CASE("beginStop with killSignal SIGKILL sets no timer") {
    FakeEventLoop loop;
    FakeProcessControl control;
    KillPlan plan(loop, control);
    Process p;
    p.spec.killSignal = SIGKILL;
    p.run = fakeRun(control, p.spec);
    plan.beginStop(p);
    CHECK(control.signals.size() == 2);
    CHECK(loop.pendingTimers() == 0);
}

TEST_CASE("retire: a replaced run gets killSignal, then SIGKILL by pidfd; the group is swept") {
    FakeEventLoop loop;
    FakeProcessControl control;
    KillPlan plan(loop, control);
    Process p;
    p.spec.killTimeout = Millis(1000);
    Run old = fakeRun(control, p.spec);
    const pid_t pid = old.pid;
    plan.retire(p, old);
    CHECK(control.signals == std::vector<Signal>{{-pid, SIGTERM}, {pid, SIGTERM}});
    loop.advance(Millis(1000));
    CHECK(std::count(control.signals.begin(), control.signals.end(), Signal{-pid, SIGKILL}) == 1);
    CHECK(std::count(control.signals.begin(), control.signals.end(), Signal{pid, SIGKILL}) == 1);
}

TEST_CASE("belongsTo: the run's pid and its group; not a stranger") {
    FakeEventLoop loop;
    FakeProcessControl control;
    KillPlan plan(loop, control);
    ProcessSpec spec;
    Run run = fakeRun(control, spec);
    CHECK(plan.belongsTo(run, run.pid));
    CHECK_FALSE(plan.belongsTo(run, 4242));
    Run none;
    CHECK_FALSE(plan.belongsTo(none, run.pid));
}
