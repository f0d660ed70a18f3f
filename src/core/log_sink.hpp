#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/event_loop.hpp"
#include "core/log_file.hpp"

namespace forever {

// The event loop's side of one log file: lines are queued here and written,
// rotated and (re)opened by EventLoop::runBlocking work, never on the loop,
// so a slow or hung filesystem stalls only the apps that log to it.
//
// At most one job per file is in flight, so writes stay in order and a hung
// file pins one worker, not one per line. What arrives meanwhile is queued
// and goes in the next job, in one write.
//
// Back-pressure, not drops, when the file is slow: once more than highWater
// bytes wait, congested() says so and the writers (OutputCapture) stop
// reading the app's pipe until the backlog is under lowWater again. The app
// then blocks on its own stdout, as it would writing the file itself;
// nothing is lost and memory stays bounded. Drops remain for files that
// fail (ENOSPC, EACCES): those bytes are counted and reported per writer.
//
struct LogSinkLimits {
    // Readers stop once this much waits, and go on under lowWater.
    size_t highWater = 1024 * 1024;
    size_t lowWater = 256 * 1024;
    // A write taking longer is reported as a stall (and its end too).
    Millis stallNotice{1000};
};

// ONE OBJECT PER PATH, as for LogFile (which it owns).
class LogSink {
  public:
    using Limits = LogSinkLimits;

    // What a writer hears about the bytes it appended.
    class Listener {
      public:
        virtual ~Listener() = default;
        // Of this listener's bytes in one job: `written` are in the file,
        // `dropped` are not (`error` says why; also set with nothing
        // dropped, e.g. a failed rotation or open).
        virtual void onWriteResult(LogSink& sink, std::error_code error, uint64_t written,
                                   uint64_t dropped) = 0;
        // The backlog fell under lowWater after waitForRoom().
        virtual void onRoom(LogSink& sink) = 0;
        // A write has been running for `elapsed` (stalled), or finished
        // after such a stall (!stalled, elapsed = the whole stall).
        virtual void onStall(LogSink& sink, bool stalled, Millis elapsed) = 0;
    };

    // Opens the file (creating its directory; truncating unless append) off
    // the loop. A failure is reported to the listeners, and the open is
    // retried, appending, before each later write.
    LogSink(EventLoop& loop, std::string path, bool append, RotationPolicy policy,
            Limits limits = {});
    // What is queued still reaches the file: the last job owns the file and
    // the bytes, also when the loop has stopped.
    ~LogSink();
    LogSink(const LogSink&) = delete;
    LogSink& operator=(const LogSink&) = delete;

    // A listener hears of a failed open even before it appends anything;
    // detach() before it is destroyed.
    void attach(Listener* listener);
    void detach(Listener* listener);

    // Queues whole lines (see LineSplitter), whatever the backlog: the
    // caller checks congested() and stops reading.
    void append(std::string_view lines, Listener* from);
    bool congested() const { return backlog() >= limits_.highWater; }
    // Deletes rotated files past maxAge (LogFile::pruneOld), off the loop,
    // in line with the writes.
    void pruneOld();
    // onRoom(*this) once, when the backlog falls under lowWater.
    void waitForRoom(Listener* listener);

    // Bytes queued or being written.
    uint64_t backlog() const;
    bool writing() const { return inFlight_ != nullptr; }
    const std::string& path() const { return path_; }

  private:
    struct Segment {
        Listener* owner;  // null once detached
        uint64_t bytes;
    };
    struct Batch;  // one job's bytes and outcome

  public:
    struct Tail;  // what the destructor hands to a job still running

  private:
    void submit();
    void complete();
    void attribute(const Batch& batch);
    void onStallTimer();
    std::vector<Listener*> owners();
    template <typename F>
    void forEachSegment(F&& f);

    EventLoop& loop_;
    std::string path_;
    bool openAppend_;
    RotationPolicy policy_;
    Limits limits_;
    std::shared_ptr<LogFile> file_;  // touched only by jobs, one at a time
    std::shared_ptr<Tail> tail_;
    std::string queued_;
    std::vector<Segment> queuedSegments_;
    std::shared_ptr<Batch> inFlight_;
    EventLoop::HandlePtr job_;
    EventLoop::HandlePtr stallTimer_;
    std::chrono::steady_clock::time_point jobStarted_{};
    bool pruneWanted_ = false;
    bool opened_ = false;  // the first open was tried (it truncates)
    std::error_code openError_;
    std::vector<Listener*> listeners_;
    std::vector<Listener*> waitingForRoom_;
    std::vector<Listener*> toldStalled_;
};

}  // namespace forever
