#pragma once
// Samples every supervised process tree on a timer (never busy-polls; one
// /proc walk per tree per interval), publishes the figures to the D-Bus
// objects and enforces maxMemory. The walks run on a worker thread: at
// 10 000 apps they are ~60 000 system calls, a third of a second the loop
// would otherwise stand still for every interval (restarts, D-Bus calls and
// the watchdog waiting behind it).
#include <chrono>
#include <functional>
#include <string>

#include "core/event_loop.hpp"
#include "core/metrics.hpp"
#include "core/supervisor.hpp"
#include "daemon/process_properties.hpp"

namespace forever {

class MetricsSampler {
  public:
    using FiguresFor = std::function<ProcessFigures&(const std::string& uid)>;
    using Report = std::function<void(Process&, const std::string& message)>;

    // interval 0 disables sampling.
    // `sampled` runs after each tick (to announce the new figures at once).
    MetricsSampler(EventLoop& loop, Supervisor& supervisor, Millis interval, FiguresFor figuresFor,
                   Report report, std::function<void()> sampled = {});

    // Starts a round of walks, unless one is still out (its figures land
    // when it comes back).
    void sampleNow();
    // Drops what was kept of `uid` (it left the table): its history ring is
    // most of an app's memory in foreverd and is given back with the app,
    // not at the next tick, after the trim that follows a bulk stop.
    void forget(const std::string& uid) { table_.forget(uid); }

  private:
    struct Round;
    void schedule();
    void record(Round& round);

    EventLoop& loop_;
    Supervisor& supervisor_;
    Millis interval_;
    FiguresFor figuresFor_;
    Report report_;
    std::function<void()> sampled_;
    MetricsTable table_;
    EventLoop::HandlePtr timer_;
    EventLoop::HandlePtr round_;  // the walks out on the worker
    long ticksPerSecond_;
};

}  // namespace forever
