#pragma once
// Samples every supervised process tree on a timer (never busy-polls; one
// /proc walk per tree per interval), publishes the figures to the D-Bus
// objects and enforces maxMemory.
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

    void sampleNow();
    // Drops what was kept of `uid` (it left the table): its history ring is
    // most of an app's memory in foreverd and is given back with the app,
    // not at the next tick, after the trim that follows a bulk stop.
    void forget(const std::string& uid) { table_.forget(uid); }

  private:
    void schedule();

    EventLoop& loop_;
    Supervisor& supervisor_;
    Millis interval_;
    FiguresFor figuresFor_;
    Report report_;
    std::function<void()> sampled_;
    MetricsTable table_;
    EventLoop::HandlePtr timer_;
    long ticksPerSecond_;
};

}  // namespace forever
