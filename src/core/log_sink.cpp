#include "core/log_sink.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <utility>

namespace forever {

struct LogSink::Batch {
    std::string bytes;
    std::vector<Segment> segments;
    bool firstOpen = false;  // the open that truncates, unless append
    bool prune = false;
    bool tried = false;  // the file was closed and this job opened it
    std::error_code openError;
    std::error_code writeError;
    uint64_t written = 0;
};

// The destructor cannot wait for a job still running (it may be stuck on a
// hung file), and a second job could overtake it: so it leaves its last
// bytes here, and the running job writes them after its own.
struct LogSink::Tail {
    std::mutex mutex;
    std::string bytes;
    bool running = false;  // a job is submitted and has not yet finished
};

namespace {

struct Where {
    std::string path;
    bool append;
    RotationPolicy policy;
};

// Worker side: opens the file if it is closed (the first time as asked,
// later appending: a retry must not truncate what earlier runs wrote).
std::error_code openIfClosed(LogFile& file, const Where& where, bool first) {
    if (file.isOpen()) {
        return {};
    }
    std::error_code ignored;  // the open below says what is wrong
    std::filesystem::create_directories(std::filesystem::path(where.path).parent_path(), ignored);
    return file.open(where.path, first ? where.append : true, where.policy);
}

// Worker side, at the end of every job: what a destroyed sink left. Never
// written under the lock, which the loop takes.
void writeTail(LogFile& file, LogSink::Tail& tail, const Where& where) {
    for (;;) {
        std::string bytes;
        {
            std::lock_guard lock(tail.mutex);
            if (tail.bytes.empty()) {
                tail.running = false;
                return;
            }
            bytes.swap(tail.bytes);
        }
        std::error_code ec = openIfClosed(file, where, false);
        if (!ec) {
            ec = file.write(bytes);
        }
        if (ec) {  // the sink is gone: nobody is left to tell but our own log
            std::fprintf(stderr, "<3>foreverd: %s: %s; %zu bytes of output lost at shutdown\n",
                         where.path.c_str(), ec.message().c_str(), bytes.size());
        }
    }
}

}  // namespace

LogSink::LogSink(EventLoop& loop, std::string path, bool append, RotationPolicy policy,
                 Limits limits)
    : loop_(loop),
      path_(std::move(path)),
      openAppend_(append),
      policy_(policy),
      limits_(limits),
      file_(std::make_shared<LogFile>()),
      tail_(std::make_shared<Tail>()) {
    submit();  // opens now, so a failure is said before any output
}

LogSink::~LogSink() {
    std::unique_lock lock(tail_->mutex);
    tail_->bytes.append(queued_);
    if (tail_->running) {
        return;  // the running job takes the tail, and the file is theirs
    }
    tail_->running = true;
    lock.unlock();
    // Even with nothing left, the last close() happens on a worker: on a
    // hung filesystem close() (a FUSE flush, NFS) can block too.
    try {
        loop_.runBlocking([file = file_, tail = tail_,
                           where = Where{path_, true, policy_}] { writeTail(*file, *tail, where); },
                          nullptr);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "<3>foreverd: %s: %s; %zu bytes of output lost\n", path_.c_str(),
                     e.what(), queued_.size());
    }
}

void LogSink::attach(Listener* listener) {
    listeners_.push_back(listener);
    if (openError_) {
        listener->onWriteResult(*this, openError_, 0, 0);
    }
}

void LogSink::detach(Listener* listener) {
    std::erase(listeners_, listener);
    std::erase(waitingForRoom_, listener);
    std::erase(toldStalled_, listener);
    forEachSegment([listener](Segment& s) {
        if (s.owner == listener) {
            s.owner = nullptr;  // the bytes are still written, unreported
        }
    });
}

void LogSink::append(std::string_view lines, Listener* from) {
    if (lines.empty()) {
        return;
    }
    queued_.append(lines);
    if (!queuedSegments_.empty() && queuedSegments_.back().owner == from) {
        queuedSegments_.back().bytes += lines.size();
    } else {
        queuedSegments_.push_back(Segment{from, lines.size()});
    }
    if (!inFlight_) {
        submit();
    }
}

void LogSink::pruneOld() {
    pruneWanted_ = true;
    if (!inFlight_) {
        submit();
    }
}

uint64_t LogSink::backlog() const {
    return queued_.size() + (inFlight_ ? inFlight_->bytes.size() : 0);
}

void LogSink::waitForRoom(Listener* listener) {
    if (std::find(waitingForRoom_.begin(), waitingForRoom_.end(), listener) ==
        waitingForRoom_.end()) {
        waitingForRoom_.push_back(listener);
    }
}

void LogSink::submit() {
    auto batch = std::make_shared<Batch>();
    batch->bytes.swap(queued_);
    batch->segments.swap(queuedSegments_);
    batch->firstOpen = !opened_;
    opened_ = true;
    batch->prune = std::exchange(pruneWanted_, false);
    {
        std::lock_guard lock(tail_->mutex);
        tail_->running = true;
    }
    auto work = [file = file_, batch, tail = tail_, where = Where{path_, openAppend_, policy_}] {
        bool wasOpen = file->isOpen();
        batch->openError = openIfClosed(*file, where, batch->firstOpen);
        batch->tried = !wasOpen;
        if (!batch->bytes.empty()) {
            batch->writeError =
                batch->openError ? batch->openError : file->write(batch->bytes, batch->written);
        }
        if (batch->prune && file->isOpen()) {
            file->pruneOld();
        }
        writeTail(*file, *tail, Where{where.path, true, where.policy});
    };
    inFlight_ = batch;
    jobStarted_ = loop_.now();
    try {
        job_ = loop_.runBlocking(std::move(work), [this] { complete(); });
    } catch (const std::system_error& e) {
        // No thread to write with: these bytes are dropped, and said so.
        inFlight_.reset();
        {
            std::lock_guard lock(tail_->mutex);
            tail_->running = false;
        }
        batch->writeError = e.code();
        attribute(*batch);
        return;
    }
    stallTimer_ = loop_.addTimer(limits_.stallNotice, [this] { onStallTimer(); });
}

void LogSink::complete() {
    std::shared_ptr<Batch> batch = std::move(inFlight_);
    job_.reset();
    stallTimer_.reset();
    if (batch->tried) {
        openError_ = batch->openError;
    }
    auto elapsed = std::chrono::duration_cast<Millis>(loop_.now() - jobStarted_);
    if (!queued_.empty() || pruneWanted_) {
        submit();  // the next write starts before anyone is told anything
    }
    auto told = std::move(toldStalled_);
    toldStalled_.clear();
    for (Listener* l : told) {
        l->onStall(*this, false, elapsed);
    }
    if (batch->tried && batch->openError && batch->segments.empty()) {
        auto listeners = listeners_;  // a listener may detach while told
        for (Listener* l : listeners) {
            l->onWriteResult(*this, batch->openError, 0, 0);
        }
    }
    attribute(*batch);
    if (backlog() < limits_.lowWater && !waitingForRoom_.empty()) {
        auto waiting = std::move(waitingForRoom_);
        waitingForRoom_.clear();
        for (Listener* l : waiting) {
            l->onRoom(*this);
        }
    }
}

void LogSink::attribute(const Batch& batch) {
    uint64_t written = batch.written;
    for (const Segment& s : batch.segments) {
        uint64_t mine = std::min(written, s.bytes);
        written -= mine;
        if (s.owner) {
            s.owner->onWriteResult(*this, batch.writeError, mine, s.bytes - mine);
        }
    }
}

template <typename F>
void LogSink::forEachSegment(F&& f) {
    for (Segment& s : queuedSegments_) {
        f(s);
    }
    if (inFlight_) {
        for (Segment& s : inFlight_->segments) {
            f(s);
        }
    }
}

std::vector<LogSink::Listener*> LogSink::owners() {
    std::vector<Listener*> found;
    forEachSegment([&found](const Segment& s) {
        if (s.owner && std::find(found.begin(), found.end(), s.owner) == found.end()) {
            found.push_back(s.owner);
        }
    });
    return found;
}

void LogSink::onStallTimer() {
    stallTimer_.reset();
    toldStalled_ = owners();
    auto elapsed = std::chrono::duration_cast<Millis>(loop_.now() - jobStarted_);
    auto told = toldStalled_;
    for (Listener* l : told) {
        l->onStall(*this, true, elapsed);
    }
}

}  // namespace forever
