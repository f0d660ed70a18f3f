#pragma once
// Makes the state journal durable off the event loop: batches are queued
// here and a thread of its own writes and fdatasync()s them; when a batch is
// on disk (or failed), an eventfd watched by the loop wakes it, and
// `settled` runs there. The loop never waits on a disk. Batches queued
// while the thread is busy are written together: one write, one sync.
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/event_loop.hpp"
#include "core/state_journal.hpp"
#include "core/unique_fd.hpp"

namespace forever {

class StateWriter {
  public:
    // On the loop: every batch numbered up to `upTo` is settled (on disk
    // when `error` is empty). Called only when something new settled or the
    // error changed.
    using Settled = std::function<void(uint64_t upTo, std::error_code error)>;

    // `journal` must be open()ed already; the writer's thread owns it now.
    // A failed write is retried (as a compaction) every `retryDelay`.
    StateWriter(EventLoop& loop, StateJournal journal, Settled settled,
                std::chrono::milliseconds retryDelay = std::chrono::seconds(5));
    // Writes whatever is still queued, then stops the thread.
    ~StateWriter();
    StateWriter(const StateWriter&) = delete;
    StateWriter& operator=(const StateWriter&) = delete;

    // Queues a batch and returns its number (from 1, increasing). Only takes
    // a lock the thread holds for a queue swap, never across a write.
    uint64_t submit(std::vector<JournalChange> batch);
    uint64_t submitted() const { return submitted_; }
    // Blocks until every submitted batch is settled: only for shutdown.
    void drain();

    int completionFd() const { return eventFd_.get(); }

  private:
    void run();
    void onCompletion();

    StateJournal journal_;
    Settled settled_;
    std::chrono::milliseconds retryDelay_;
    UniqueFd eventFd_;
    EventLoop::HandlePtr watch_;

    std::mutex mutex_;
    std::condition_variable wake_;       // work for the thread
    std::condition_variable settledCv_;  // for drain()
    std::vector<JournalChange> queue_;
    uint64_t queuedUpTo_ = 0;   // the last batch number in queue_
    uint64_t settledUpTo_ = 0;  // written (or failed) by the thread
    std::error_code lastError_;
    bool stopping_ = false;

    uint64_t submitted_ = 0;         // loop side
    uint64_t reportedUpTo_ = 0;      // loop side
    std::error_code reportedError_;  // loop side
    std::thread thread_;             // last: starts once the rest exists
};

}  // namespace forever
