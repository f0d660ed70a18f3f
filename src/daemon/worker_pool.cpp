#include "daemon/worker_pool.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/unique_fd.hpp"

namespace forever {

// Shared with the threads, so a thread left stuck at shutdown never touches
// freed memory.
struct WorkerPool::State {
    std::mutex mutex;
    std::condition_variable wake;     // work queued, or stopping
    std::condition_variable settled;  // a thread went idle or exited
    struct Job {
        std::function<void()> work;
        std::function<void()> after;
    };
    std::deque<Job> queue;
    std::vector<std::function<void()>> completed;
    size_t threads = 0;
    size_t idle = 0;
    size_t maxThreads = 0;
    std::chrono::milliseconds idleExit{};
    bool stopping = false;
    UniqueFd eventFd;
};

namespace {

void workerMain(const std::shared_ptr<WorkerPool::State>& shared);

}  // namespace

WorkerPool::WorkerPool(size_t maxThreads, std::chrono::milliseconds idleExit)
    : state_(std::make_shared<State>()) {
    state_->maxThreads = maxThreads == 0 ? 1 : maxThreads;
    state_->idleExit = idleExit;
    state_->eventFd.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!state_->eventFd) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
}

WorkerPool::~WorkerPool() {
    std::unique_lock lock(state_->mutex);
    state_->stopping = true;
    state_->wake.notify_all();
    state_->settled.wait_for(lock, drainTimeout, [this] {
        return state_->queue.empty() && state_->idle == state_->threads;
    });
}

void WorkerPool::submit(std::function<void()> work, std::function<void()> after) {
    std::unique_lock lock(state_->mutex);
    state_->queue.push_back(State::Job{std::move(work), std::move(after)});
    // Every thread busy (maybe each stuck on a hung file): one more, so
    // this job does not wait behind them.
    if (state_->idle < state_->queue.size() && state_->threads < state_->maxThreads) {
        try {
            spawnThread();
        } catch (const std::system_error&) {
            if (state_->threads == 0) {
                state_->queue.pop_back();
                throw;
            }
            // The job stays queued for the threads there are.
        }
    }
    state_->wake.notify_one();
}

void WorkerPool::spawnThread() {
    // Signals belong to the loop's signalfd: a worker that could take
    // SIGTERM would die of its default action instead.
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
        std::thread(workerMain, state_).detach();
    } catch (...) {
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ++state_->threads;
    ++state_->idle;  // it counts as idle until it takes a job
}

int WorkerPool::completionFd() const {
    return state_->eventFd.get();
}

std::vector<std::function<void()>> WorkerPool::takeCompletions() {
    uint64_t count = 0;
    while (::read(state_->eventFd.get(), &count, sizeof count) < 0 && errno == EINTR) {
    }
    std::vector<std::function<void()>> done;
    std::lock_guard lock(state_->mutex);
    done.swap(state_->completed);
    return done;
}

size_t WorkerPool::threads() const {
    std::lock_guard lock(state_->mutex);
    return state_->threads;
}

namespace {

void workerMain(const std::shared_ptr<WorkerPool::State>& shared) {
    WorkerPool::State& s = *shared;
    std::unique_lock lock(s.mutex);
    for (;;) {
        bool woken =
            s.wake.wait_for(lock, s.idleExit, [&] { return !s.queue.empty() || s.stopping; });
        if (s.queue.empty()) {
            // Idle long enough, or shutting down with nothing left: one warm
            // thread stays unless stopping.
            if (s.stopping || (!woken && s.threads > 1)) {
                --s.threads;
                --s.idle;
                s.settled.notify_all();
                return;
            }
            continue;
        }
        WorkerPool::State::Job job = std::move(s.queue.front());
        s.queue.pop_front();
        --s.idle;
        lock.unlock();
        job.work();
        job.work = nullptr;  // its captures (a last close()) die here, off the loop
        lock.lock();
        ++s.idle;
        s.completed.push_back(std::move(job.after));
        uint64_t one = 1;
        // Only fails when the counter would overflow: already readable then.
        (void)!::write(s.eventFd.get(), &one, sizeof one);
        s.settled.notify_all();
    }
}

}  // namespace

}  // namespace forever
