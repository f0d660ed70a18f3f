#include "daemon/sd_event_loop.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>

#include "daemon/worker_pool.hpp"

namespace forever {

namespace {

// An exception must not unwind through sd-event's C frames (that aborts, or
// worse); report it loudly and keep the loop running.
void callGuarded(const std::function<void()>& callback) {
    try {
        callback();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "<2>foreverd: internal error in an event handler: %s\n", e.what());
        sd_journal_print(LOG_CRIT, "internal error in an event handler: %s", e.what());
    }
}

// A source plus the callback it owns; unref on destruction cancels it.
class SourceHandle : public EventLoop::Handle {
  public:
    explicit SourceHandle(std::function<void()> callback) : callback_(std::move(callback)) {}
    ~SourceHandle() override {
        if (source_) {
            sd_event_source_disable_unref(source_);
        }
    }
    sd_event_source** slot() { return &source_; }
    void call() {
        // Copy first: the callback may destroy this handle.
        auto callback = callback_;
        callGuarded(callback);
    }
    static int dispatch(void* self) {
        static_cast<SourceHandle*>(self)->call();
        return 0;
    }

  private:
    std::function<void()> callback_;
    sd_event_source* source_ = nullptr;
};

void check(int r, const char* what) {
    if (r < 0) {
        throw std::system_error(-r, std::generic_category(), what);
    }
}

}  // namespace

// Every addReadableOnce watch (a pidfd each) in one epoll set of its own,
// itself one sd-event source: a dispatch takes every exit that is ready, up
// to a batch, not one exit per loop iteration. At a stopall of 10 000 that
// spares sd-event's work per source and iteration, and the D-Bus signals of
// a batch leave back to back, so dbus-daemon wakes once for many of them.
// A watch that fired is not taken out of the set: its one-shot registration
// goes with its descriptor's close (a pidfd is closed right after its reap),
// one epoll_ctl fewer per exit.
class ReadyOnceSet : public std::enable_shared_from_this<ReadyOnceSet> {
  public:
    class Watch : public EventLoop::Handle {
      public:
        Watch(std::shared_ptr<ReadyOnceSet> set, uint64_t id, int fd)
            : set_(std::move(set)), id_(id), fd_(fd) {}
        ~Watch() override { set_->remove(*this); }

      private:
        friend class ReadyOnceSet;
        std::shared_ptr<ReadyOnceSet> set_;
        uint64_t id_;
        int fd_;
        bool fired_ = false;
        std::function<void()> ready_;
    };

    explicit ReadyOnceSet(SdEventLoop& loop) : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (epoll_ < 0) {
            throw std::system_error(errno, std::generic_category(), "epoll_create1");
        }
        source_ = loop.addReadable(epoll_, [this] { dispatchReady(); });
    }
    ~ReadyOnceSet() { ::close(epoll_); }
    ReadyOnceSet(const ReadyOnceSet&) = delete;
    ReadyOnceSet& operator=(const ReadyOnceSet&) = delete;

    EventLoop::HandlePtr add(int fd, std::function<void()> ready) {
        auto watch = std::make_unique<Watch>(shared_from_this(), nextId_++, fd);
        watch->ready_ = std::move(ready);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.u64 = watch->id_;
        // EEXIST: the descriptor is still open with a registration that
        // fired (and was left to its close); re-armed for this watch. One
        // that has not fired belongs to a live watch: refused, as sd-event
        // refuses a second source on one descriptor.
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) {
            const bool fired = errno == EEXIST && !watchedUnfired(fd);
            if (!fired || ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev) < 0) {
                throw std::system_error(fired ? errno : EEXIST, std::generic_category(),
                                        "epoll_ctl add");
            }
        }
        watches_.emplace(watch->id_, watch.get());
        return watch;
    }

    bool pending() const {
        pollfd p{epoll_, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }

    // Drops what the loop holds first: the set outlives it only in the
    // handles still out, which then just unregister.
    void detach() { source_.reset(); }

  private:
    static constexpr int kBatch = 256;

    // Scans every watch: only on the rare re-watch of an open descriptor.
    bool watchedUnfired(int fd) const {
        return std::any_of(watches_.begin(), watches_.end(), [fd](const auto& w) {
            return w.second->fd_ == fd && !w.second->fired_;
        });
    }

    void remove(Watch& watch) {
        watches_.erase(watch.id_);
        if (!watch.fired_) {
            ::epoll_ctl(epoll_, EPOLL_CTL_DEL, watch.fd_, nullptr);
        }
    }

    void dispatchReady() {
        epoll_event events[kBatch];
        int n = ::epoll_wait(epoll_, events, kBatch, 0);
        for (int i = 0; i < n; ++i) {
            // Looked up by id, not pointer: an earlier callback of this batch
            // may have destroyed this watch.
            auto it = watches_.find(events[i].data.u64);
            if (it == watches_.end()) {
                continue;
            }
            it->second->fired_ = true;
            auto ready = it->second->ready_;  // a copy: it may destroy the watch
            callGuarded(ready);
        }
    }

    int epoll_;
    uint64_t nextId_ = 1;
    std::unordered_map<uint64_t, Watch*> watches_;
    EventLoop::HandlePtr source_;
};

SdEventLoop::SdEventLoop() {
    check(sd_event_new(&event_), "sd_event_new");
}

SdEventLoop::~SdEventLoop() {
    if (readyOnce_) {
        readyOnce_->detach();
    }
    workersWatch_.reset();
    workers_.reset();  // lets queued work (a log's last lines) finish, bounded
    sd_event_unref(event_);
}

std::chrono::steady_clock::time_point SdEventLoop::now() {
    uint64_t usec = 0;
    sd_event_now(event_, CLOCK_MONOTONIC, &usec);
    // steady_clock is CLOCK_MONOTONIC on Linux, so the two compare directly.
    return std::chrono::steady_clock::time_point(std::chrono::microseconds(usec));
}

EventLoop::HandlePtr SdEventLoop::addTimer(Millis delay, std::function<void()> fire) {
    auto handle = std::make_unique<SourceHandle>(std::move(fire));
    uint64_t usec =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
    check(sd_event_add_time_relative(
              event_, handle->slot(), CLOCK_MONOTONIC, usec, 1000,
              [](sd_event_source*, uint64_t, void* self) { return SourceHandle::dispatch(self); },
              handle.get()),
          "sd_event_add_time_relative");
    return handle;
}

EventLoop::HandlePtr SdEventLoop::addIo(int fd, uint32_t events, std::function<void()> ready) {
    auto handle = std::make_unique<SourceHandle>(std::move(ready));
    check(sd_event_add_io(
              event_, handle->slot(), fd, events,
              [](sd_event_source*, int, uint32_t, void* self) {
                  return SourceHandle::dispatch(self);
              },
              handle.get()),
          "sd_event_add_io");
    return handle;
}

EventLoop::HandlePtr SdEventLoop::addReadable(int fd, std::function<void()> ready) {
    return addIo(fd, EPOLLIN, std::move(ready));
}

bool SdEventLoop::readyOncePending() const {
    return readyOnce_ && readyOnce_->pending();
}

EventLoop::HandlePtr SdEventLoop::addReadableOnce(int fd, std::function<void()> ready) {
    if (!readyOnce_) {
        readyOnce_ = std::make_shared<ReadyOnceSet>(*this);
    }
    return readyOnce_->add(fd, std::move(ready));
}

EventLoop::HandlePtr SdEventLoop::addWritable(int fd, std::function<void()> ready) {
    return addIo(fd, EPOLLOUT, std::move(ready));
}

EventLoop::HandlePtr SdEventLoop::addDefer(std::function<void()> run, int64_t priority) {
    auto handle = std::make_unique<SourceHandle>(std::move(run));
    check(sd_event_add_defer(
              event_, handle->slot(),
              [](sd_event_source* s, void* self) {
                  sd_event_source_set_enabled(s, SD_EVENT_OFF);
                  return SourceHandle::dispatch(self);
              },
              handle.get()),
          "sd_event_add_defer");
    check(sd_event_source_set_priority(*handle->slot(), priority), "sd_event_source_set_priority");
    return handle;
}

EventLoop::HandlePtr SdEventLoop::addDeferred(std::function<void()> run) {
    return addDefer(std::move(run), SD_EVENT_PRIORITY_NORMAL);
}

EventLoop::HandlePtr SdEventLoop::addUrgent(std::function<void()> run) {
    // sd-event dispatches one source per iteration, the best priority
    // first; at the normal one, a save made pending earlier would go first
    // and hold the restart back by a write and a rename.
    return addDefer(std::move(run), SD_EVENT_PRIORITY_IMPORTANT);
}

namespace {

// What a runBlocking handle cancels: `done` is only touched on the loop.
struct Completion {
    std::function<void()> done;
};

class CompletionHandle : public EventLoop::Handle {
  public:
    explicit CompletionHandle(std::shared_ptr<Completion> c) : completion_(std::move(c)) {}
    ~CompletionHandle() override { completion_->done = nullptr; }

  private:
    std::shared_ptr<Completion> completion_;
};

}  // namespace

EventLoop::HandlePtr SdEventLoop::runBlocking(std::function<void()> work,
                                              std::function<void()> done) {
    if (!workers_) {
        auto pool = std::make_unique<WorkerPool>();
        WorkerPool* raw = pool.get();
        workersWatch_ = addReadable(raw->completionFd(), [raw] {
            for (auto& after : raw->takeCompletions()) {
                callGuarded(after);
            }
        });
        workers_ = std::move(pool);
    }
    auto completion = std::make_shared<Completion>(Completion{std::move(done)});
    workers_->submit(std::move(work), [completion] {
        if (auto done = completion->done) {  // a copy: it may cancel itself
            done();
        }
    });
    return std::make_unique<CompletionHandle>(std::move(completion));
}

EventLoop::HandlePtr SdEventLoop::addSignal(int sig, std::function<void()> received) {
    auto handle = std::make_unique<SourceHandle>(std::move(received));
    check(sd_event_add_signal(
              event_, handle->slot(), sig,
              [](sd_event_source*, const struct signalfd_siginfo*, void* self) {
                  return SourceHandle::dispatch(self);
              },
              handle.get()),
          "sd_event_add_signal");
    return handle;
}

int SdEventLoop::run() {
    return sd_event_loop(event_);
}

void SdEventLoop::exit(int code) {
    sd_event_exit(event_, code);
}

}  // namespace forever
