#pragma once

#include <systemd/sd-event.h>

#include <memory>

#include "core/event_loop.hpp"

namespace forever {

class WorkerPool;
class ReadyOnceSet;

// The daemon's one loop: core's EventLoop seam implemented on sd-event.
class SdEventLoop : public EventLoop {
  public:
    SdEventLoop();
    ~SdEventLoop() override;
    SdEventLoop(const SdEventLoop&) = delete;
    SdEventLoop& operator=(const SdEventLoop&) = delete;

    sd_event* get() const { return event_; }

    std::chrono::steady_clock::time_point now() override;
    HandlePtr addTimer(Millis delay, std::function<void()> fire) override;
    HandlePtr addReadable(int fd, std::function<void()> ready) override;
    HandlePtr addReadableOnce(int fd, std::function<void()> ready) override;
    HandlePtr addWritable(int fd, std::function<void()> ready) override;
    HandlePtr addDeferred(std::function<void()> run) override;
    HandlePtr addUrgent(std::function<void()> run) override;
    // On a WorkerPool made on first use (no threads until then).
    HandlePtr runBlocking(std::function<void()> work, std::function<void()> done) override;

    // Whether an addReadableOnce descriptor turned readable and waits for
    // its dispatch (a child's exit not yet taken).
    bool readyOncePending() const;

    // Called with sig delivered (it must be blocked in every thread).
    HandlePtr addSignal(int sig, std::function<void()> received);

    int run();
    void exit(int code);

  private:
    HandlePtr addIo(int fd, uint32_t events, std::function<void()> ready);
    HandlePtr addDefer(std::function<void()> run, int64_t priority);
    sd_event* event_ = nullptr;
    std::shared_ptr<ReadyOnceSet> readyOnce_;  // addReadableOnce's watches, made on first use
    std::unique_ptr<WorkerPool> workers_;
    HandlePtr workersWatch_;
};

}  // namespace forever
