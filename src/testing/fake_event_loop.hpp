#pragma once
// The EventLoop seam driven by hand, for unit tests: a fake clock that only
// moves when the test says so, timers that fire in deadline order as it
// moves, deferred work that runs when the test asks, and fds that are
// "ready" when the test fires them. Nothing here touches the OS. Blocking
// work waits until the test completes it, so a hung file is simply a job
// the test does not complete yet.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/event_loop.hpp"

namespace forever::test {

class FakeEventLoop : public EventLoop {
  public:
    using Time = std::chrono::steady_clock::time_point;

    Time now() override { return now_; }

    HandlePtr addTimer(Millis delay, std::function<void()> fire) override {
        return add(Kind::Timer, now_ + delay, -1, std::move(fire));
    }
    HandlePtr addReadable(int fd, std::function<void()> ready) override {
        return add(Kind::Readable, {}, fd, std::move(ready));
    }
    HandlePtr addReadableOnce(int fd, std::function<void()> ready) override {
        return addReadable(fd, std::move(ready));  // fired by hand: the same
    }
    HandlePtr addWritable(int fd, std::function<void()> ready) override {
        return add(Kind::Writable, {}, fd, std::move(ready));
    }
    HandlePtr addDeferred(std::function<void()> run) override {
        return add(Kind::Deferred, {}, -1, std::move(run));
    }
    HandlePtr addUrgent(std::function<void()> run) override {
        return add(Kind::Urgent, {}, -1, std::move(run));
    }
    HandlePtr runBlocking(std::function<void()> work, std::function<void()> done) override {
        auto completion = std::make_shared<std::function<void()>>(std::move(done));
        blocking_.push_back(Blocking{std::move(work), completion});
        return std::make_unique<CancelDone>(std::move(completion));
    }

    // Runs the oldest blocking work, then its `done` (unless its handle is
    // gone), then the pending work that adds. False when none is queued.
    bool completeBlocking() {
        if (blocking_.empty()) {
            return false;
        }
        Blocking job = std::move(blocking_.front());
        blocking_.pop_front();
        job.work();
        if (auto done = *job.done) {
            done();
        }
        runPending();
        return true;
    }
    // Completes blocking work, also what completions submit, up to `limit`
    // jobs. Returns how many ran.
    size_t completeAllBlocking(size_t limit = 10000) {
        size_t ran = 0;
        while (ran < limit && completeBlocking()) {
            ++ran;
        }
        return ran;
    }
    size_t pendingBlocking() const { return blocking_.size(); }

    // Runs pending urgent work, then deferred work, until none is left
    // (work may add more, as on the real loop) or `limit` ran (one loop
    // iteration each). Returns how many ran.
    size_t runPending(size_t limit = SIZE_MAX) {
        size_t ran = 0;
        while (ran < limit) {
            Entry* e = first([](const Entry& x) { return x.kind == Kind::Urgent; });
            if (!e) {
                e = first([](const Entry& x) { return x.kind == Kind::Deferred; });
            }
            if (!e) {
                return ran;
            }
            fire(*e, /*oneShot=*/true);
            ++ran;
        }
        return ran;
    }

    // Moves the clock forward by `d`, firing every timer that falls due on
    // the way, in deadline order, with the clock at its deadline, and the
    // pending work each one adds right after it.
    void advance(Millis d) {
        const Time until = now_ + d;
        runPending();
        for (;;) {
            Entry* next = nullptr;
            for (auto& [id, e] : entries_) {
                if (e.kind == Kind::Timer && e.deadline <= until &&
                    (!next || e.deadline < next->deadline)) {
                    next = &e;
                }
            }
            if (!next) {
                break;
            }
            now_ = std::max(now_, next->deadline);
            fire(*next, /*oneShot=*/true);
            runPending();
        }
        now_ = until;
    }

    // Calls the watcher of `fd` once, as the loop would when it is ready.
    // Returns false when nothing watches it.
    bool fireReadable(int fd) { return fireFd(Kind::Readable, fd); }
    bool fireWritable(int fd) { return fireFd(Kind::Writable, fd); }

    bool watches(int fd) const {
        return std::any_of(entries_.begin(), entries_.end(), [fd](const auto& kv) {
            return kv.second.fd == fd &&
                   (kv.second.kind == Kind::Readable || kv.second.kind == Kind::Writable);
        });
    }
    size_t pendingTimers() const { return count(Kind::Timer); }
    size_t pendingWork() const { return count(Kind::Deferred) + count(Kind::Urgent); }
    // When the next timer is due, or now() + a year when none is.
    Time nextDeadline() const {
        Time best = now_ + std::chrono::hours(24 * 365);
        for (const auto& [id, e] : entries_) {
            if (e.kind == Kind::Timer) {
                best = std::min(best, e.deadline);
            }
        }
        return best;
    }

  private:
    enum class Kind { Timer, Readable, Writable, Deferred, Urgent, Fired };
    struct Entry {
        Kind kind;
        Time deadline;
        int fd;
        std::shared_ptr<std::function<void()>> callback;
        uint64_t order;  // insertion order: equal deadlines fire first-in first
    };

    struct Blocking {
        std::function<void()> work;
        std::shared_ptr<std::function<void()>> done;
    };
    class CancelDone : public Handle {
      public:
        explicit CancelDone(std::shared_ptr<std::function<void()>> done) : done_(std::move(done)) {}
        ~CancelDone() override { *done_ = nullptr; }

      private:
        std::shared_ptr<std::function<void()>> done_;
    };

    class FakeHandle : public Handle {
      public:
        FakeHandle(FakeEventLoop* loop, uint64_t id) : loop_(loop), id_(id) {}
        ~FakeHandle() override { loop_->entries_.erase(id_); }

      private:
        FakeEventLoop* loop_;
        uint64_t id_;
    };

    HandlePtr add(Kind kind, Time deadline, int fd, std::function<void()> callback) {
        const uint64_t id = ++nextId_;
        entries_.emplace(id,
                         Entry{kind, deadline, fd,
                               std::make_shared<std::function<void()>>(std::move(callback)), id});
        return std::make_unique<FakeHandle>(this, id);
    }

    template <typename Pred>
    Entry* first(Pred pred) {
        for (auto& [id, e] : entries_) {  // std::map: insertion (id) order
            if (pred(e)) {
                return &e;
            }
        }
        return nullptr;
    }

    // One-shot sources are disarmed before the call, as sd-event's defer and
    // timer sources are; the handle still owns the (now idle) entry until
    // the code under test drops it.
    void fire(Entry& e, bool oneShot) {
        auto callback = e.callback;  // the callback may destroy its handle
        if (oneShot) {
            e.kind = Kind::Fired;
        }
        (*callback)();
    }

    bool fireFd(Kind kind, int fd) {
        Entry* e = first([&](const Entry& x) { return x.kind == kind && x.fd == fd; });
        if (!e) {
            return false;
        }
        fire(*e, /*oneShot=*/false);
        runPending();
        return true;
    }

    size_t count(Kind kind) const {
        return static_cast<size_t>(
            std::count_if(entries_.begin(), entries_.end(),
                          [kind](const auto& kv) { return kv.second.kind == kind; }));
    }

    Time now_{std::chrono::hours(1000)};  // far from 0, so "now - x" stays positive
    uint64_t nextId_ = 0;
    std::map<uint64_t, Entry> entries_;
    std::deque<Blocking> blocking_;
};

}  // namespace forever::test
