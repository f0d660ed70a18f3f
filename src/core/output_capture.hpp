#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "core/event_loop.hpp"
#include "core/line_splitter.hpp"
#include "core/log_sink.hpp"
#include "core/unique_fd.hpp"

namespace forever {

// Reads a child's stdout/stderr pipes on the event loop and hands whole
// lines to its log sinks (out, err, and the combined one), which write them
// off the loop. Only whole lines reach a file, so rotation can never split
// one; what is left at EOF is flushed as a last line, so nothing is lost
// when the child dies.
//
// A sink that cannot keep up stops the reading of the streams that feed it
// (back-pressure through the pipe: the app blocks, nothing is lost); the
// other apps, with other sinks, never notice.
class OutputCapture : private LogSink::Listener {
  public:
    struct Sinks {
        std::shared_ptr<LogSink> out;
        std::shared_ptr<LogSink> err;
        std::shared_ptr<LogSink> combined;
        bool timestamp = false;
    };
    using ErrorHandler = std::function<void(const std::string& message)>;

    OutputCapture(EventLoop& loop, UniqueFd stdoutPipe, UniqueFd stderrPipe, Sinks sinks,
                  ErrorHandler onError);
    ~OutputCapture() override;
    OutputCapture(const OutputCapture&) = delete;
    OutputCapture& operator=(const OutputCapture&) = delete;

    // Replaces where problems are said, e.g. once the process it reported
    // for has left the table while its pipes still drain.
    void setErrorHandler(ErrorHandler onError) { onError_ = std::move(onError); }

    // True once both pipes reached EOF (every writer, grandchildren too, is
    // gone) and everything was handed to the sinks.
    bool finished() const;
    // A stream is not read because a sink it feeds is congested.
    bool heldBack() const { return out_.held || err_.held; }
    // Bytes dropped so far because a file failed (not because it was slow:
    // those are held back, not dropped).
    uint64_t droppedBytes() const { return droppedTotal_; }

  private:
    struct Stream {
        UniqueFd fd;
        LineSplitter splitter;
        EventLoop::HandlePtr watch;
        std::shared_ptr<LogSink> file;
        bool held = false;
    };
    void onReadable(Stream& stream);
    void watch(Stream& stream);
    bool congested(const Stream& stream) const;
    std::vector<LogSink*> uniqueSinks() const;

    void onWriteResult(LogSink& sink, std::error_code error, uint64_t written,
                       uint64_t dropped) override;
    void onRoom(LogSink& sink) override;
    void onStall(LogSink& sink, bool stalled, Millis elapsed) override;
    void say(const std::string& message);

    EventLoop& loop_;
    Stream out_;
    Stream err_;
    std::shared_ptr<LogSink> combined_;
    ErrorHandler onError_;
    std::string batch_;  // the whole lines of one read, queued with one call
    struct Failure {
        std::error_code error;      // reported once, when it first happens
        uint64_t droppedBytes = 0;  // reported when the file takes lines again
    };
    std::map<const LogSink*, Failure> failing_;
    uint64_t droppedTotal_ = 0;
};

}  // namespace forever
