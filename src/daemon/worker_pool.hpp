#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace forever {

// Threads for the file work the event loop must never wait on (log writes,
// rotation, pid files). Why threads and not io_uring: rotation lists a
// directory, and io_uring has no getdents; and io_uring punts a blocking
// write to a kernel worker anyway, one per hung file, which is what this
// pool does, with one mechanism for every file operation, also where
// io_uring is disabled (containers' seccomp profiles, the sysctl).
//
// A hung file pins one thread; the pool grows while every thread is busy
// (up to maxThreads), so other files' work keeps moving, and shrinks back
// to one thread when idle. The callers keep at most one job per file in
// flight, so a hung file costs one thread, not one per line.
//
// Completions go back to the loop through an eventfd: completionFd() turns
// readable, and takeCompletions() hands over the `after` functions of the
// finished jobs, to be called on the loop thread.
class WorkerPool {
  public:
    explicit WorkerPool(size_t maxThreads = 64,
                        std::chrono::milliseconds idleExit = std::chrono::seconds(10));
    // Lets queued and running work finish for up to drainTimeout; threads
    // stuck past it (a write to a filesystem that never answers) are left
    // behind to die with the process instead of hanging its exit.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Throws std::system_error when no thread exists and none can be made.
    void submit(std::function<void()> work, std::function<void()> after);
    int completionFd() const;
    std::vector<std::function<void()>> takeCompletions();
    size_t threads() const;

    std::chrono::milliseconds drainTimeout{3000};

    struct State;  // shared with the threads (public only for them)

  private:
    void spawnThread();
    std::shared_ptr<State> state_;
};

}  // namespace forever
