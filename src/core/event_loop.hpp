#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace forever {

using Millis = std::chrono::milliseconds;

// The narrow seam between supervision and the daemon's sd-event loop, so the
// core never sees sd-event and tests can drive it with a fake.
class EventLoop {
  public:
    // Destroying a handle cancels what it watches.
    class Handle {
      public:
        virtual ~Handle() = default;
    };
    using HandlePtr = std::unique_ptr<Handle>;

    virtual ~EventLoop() = default;
    virtual std::chrono::steady_clock::time_point now() = 0;
    // One-shot timer.
    virtual HandlePtr addTimer(Millis delay, std::function<void()> fire) = 0;
    // Called while fd is readable (or at EOF / error).
    virtual HandlePtr addReadable(int fd, std::function<void()> ready) = 0;
    // Called when fd turns readable (edge-triggered), not again while it
    // stays so: for a pidfd, readable for good once its process exited. A
    // level-triggered watch of 10 000 exiting runs had every loop iteration
    // poll all of the exited ones still waiting their turn (quadratic).
    virtual HandlePtr addReadableOnce(int fd, std::function<void()> ready) = 0;
    // Called while fd is writable (a non-blocking connect finished).
    virtual HandlePtr addWritable(int fd, std::function<void()> ready) = 0;
    // Runs once at the end of the current loop iteration (coalesces work).
    virtual HandlePtr addDeferred(std::function<void()> run) = 0;
    // Runs once, on the next iteration, before any other pending work
    // (deferred saves included): a restart with no delay.
    virtual HandlePtr addUrgent(std::function<void()> run) = 0;
    // Runs `work` on a worker thread, never on the loop, then `done` on the
    // loop. For what may block for seconds (a write to a hung filesystem):
    // the loop must never wait on a file. `work` may run concurrently with
    // other work and must touch only what it owns (its captures are
    // destroyed on the worker, so a last close() happens there too).
    // Destroying the handle cancels `done`, not `work`: once submitted, work
    // runs to the end, even during shutdown (a log's last lines).
    virtual HandlePtr runBlocking(std::function<void()> work, std::function<void()> done) = 0;
};

}  // namespace forever
