#include "core/state_writer.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace forever {

StateWriter::StateWriter(EventLoop& loop, StateJournal journal, Settled settled,
                         std::chrono::milliseconds retryDelay)
    : journal_(std::move(journal)),
      settled_(std::move(settled)),
      retryDelay_(retryDelay),
      eventFd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!eventFd_) {
        throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    }
    watch_ = loop.addReadable(eventFd_.get(), [this] { onCompletion(); });
    thread_ = std::thread([this] { run(); });
}

StateWriter::~StateWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

uint64_t StateWriter::submit(std::vector<JournalChange> batch) {
    const uint64_t number = ++submitted_;
    {
        std::lock_guard lock(mutex_);
        if (queue_.empty()) {
            queue_ = std::move(batch);
        } else {
            queue_.insert(queue_.end(), std::make_move_iterator(batch.begin()),
                          std::make_move_iterator(batch.end()));
        }
        queuedUpTo_ = number;
    }
    wake_.notify_one();
    return number;
}

void StateWriter::drain() {
    std::unique_lock lock(mutex_);
    settledCv_.wait(lock, [&] { return settledUpTo_ >= submitted_; });
}

void StateWriter::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        const bool retrying = journal_.needsRepair();
        auto haveWork = [&] { return queuedUpTo_ > settledUpTo_ || stopping_; };
        if (retrying) {
            wake_.wait_for(lock, retryDelay_, haveWork);
        } else {
            wake_.wait(lock, haveWork);
        }
        if (!haveWork() && !retrying) {
            continue;
        }
        if (stopping_ && queuedUpTo_ == settledUpTo_ && !retrying) {
            return;
        }
        std::vector<JournalChange> batch;
        batch.swap(queue_);
        const uint64_t upTo = queuedUpTo_;
        lock.unlock();
        std::error_code ec;
        if (!batch.empty()) {
            ec = journal_.append(batch);
        } else if (journal_.needsRepair()) {
            ec = journal_.compact();
        }
        lock.lock();
        settledUpTo_ = upTo;
        lastError_ = ec;
        settledCv_.notify_all();
        const uint64_t one = 1;
        // Only fails when the counter would overflow: the loop is already due.
        (void)::write(eventFd_.get(), &one, sizeof one);
        if (stopping_ && ec && queuedUpTo_ == settledUpTo_) {
            return;  // no retries at exit: the failure was reported
        }
    }
}

void StateWriter::onCompletion() {
    uint64_t count = 0;
    (void)::read(eventFd_.get(), &count, sizeof count);  // resets the counter
    uint64_t upTo = 0;
    std::error_code ec;
    {
        std::lock_guard lock(mutex_);
        upTo = settledUpTo_;
        ec = lastError_;
    }
    if (upTo == reportedUpTo_ && ec == reportedError_) {
        return;
    }
    reportedUpTo_ = upTo;
    reportedError_ = ec;
    settled_(upTo, ec);
}

}  // namespace forever
