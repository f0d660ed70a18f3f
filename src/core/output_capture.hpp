#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include "core/event_loop.hpp"
#include "core/line_splitter.hpp"
#include "core/unique_fd.hpp"

namespace forever {

class LogFile;

// Reads a child's stdout/stderr pipes on the event loop and writes whole
// lines to its log files (out, err, and the combined one). Only whole lines
// reach a file, so rotation can never split one; what is left at EOF is
// flushed as a last line, so nothing is lost when the child dies.
class OutputCapture {
  public:
    struct Sinks {
        std::shared_ptr<LogFile> out;
        std::shared_ptr<LogFile> err;
        std::shared_ptr<LogFile> combined;
        bool timestamp = false;
    };
    using ErrorHandler = std::function<void(const std::string& message)>;

    OutputCapture(EventLoop& loop, UniqueFd stdoutPipe, UniqueFd stderrPipe, Sinks sinks,
                  ErrorHandler onError);
    ~OutputCapture();

    // True once both pipes reached EOF (every writer, grandchildren too, is
    // gone) and everything was written.
    bool finished() const;

  private:
    struct Stream {
        UniqueFd fd;
        LineSplitter splitter;
        EventLoop::HandlePtr watch;
        std::shared_ptr<LogFile> file;
    };
    void onReadable(Stream& stream);
    void write(LogFile* file, std::string_view lines);

    Stream out_;
    Stream err_;
    std::shared_ptr<LogFile> combined_;
    ErrorHandler onError_;
    std::string batch_;  // the whole lines of one read, written with one call
    struct Failure {
        std::error_code error;      // reported once, when it first happens
        uint64_t droppedBytes = 0;  // reported when the file takes lines again
    };
    std::map<const LogFile*, Failure> failing_;
};

}  // namespace forever
