#include "core/output_capture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log_file.hpp"

namespace forever {

namespace {
// Bounded work per wake-up: a child flooding its stdout cannot starve the
// loop (D-Bus calls, other children); the pipe fills and the child blocks,
// which is the back-pressure we want instead of buffering without limit.
constexpr size_t kChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 4;
}  // namespace

OutputCapture::OutputCapture(EventLoop& loop, UniqueFd stdoutPipe, UniqueFd stderrPipe,
                             Sinks sinks, ErrorHandler onError)
    : combined_(std::move(sinks.combined)), onError_(std::move(onError)) {
    out_.fd = std::move(stdoutPipe);
    err_.fd = std::move(stderrPipe);
    out_.file = std::move(sinks.out);
    err_.file = std::move(sinks.err);
    for (Stream* s : {&out_, &err_}) {
        if (!s->fd) {
            continue;
        }
        ::fcntl(s->fd.get(), F_SETFL, ::fcntl(s->fd.get(), F_GETFL) | O_NONBLOCK);
        if (sinks.timestamp) {
            s->splitter.setTimestamps(true);
        }
        s->watch = loop.addReadable(s->fd.get(), [this, s] { onReadable(*s); });
    }
}

OutputCapture::~OutputCapture() = default;

bool OutputCapture::finished() const { return !out_.fd && !err_.fd; }

void OutputCapture::writeLine(Stream& stream, std::string_view line) {
    for (LogFile* file : {stream.file.get(), combined_.get()}) {
        if (!file) {
            continue;
        }
        std::error_code ec = file->write(line);
        if (ec) {
            // Report each distinct failure once; the app keeps running and
            // its output is dropped until the file is writable again.
            std::string message = file->path() + ": " + ec.message();
            if (message != lastError_) {
                lastError_ = message;
                if (onError_) {
                    onError_(message);
                }
            }
        } else if (!lastError_.empty()) {
            lastError_.clear();
        }
    }
}

void OutputCapture::onReadable(Stream& stream) {
    char buffer[kChunk];
    auto emit = [this, &stream](std::string_view line) { writeLine(stream, line); };
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        ssize_t n = ::read(stream.fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            stream.splitter.feed(std::string_view(buffer, static_cast<size_t>(n)), emit);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }
        // EOF or a broken pipe: every writer is gone.
        stream.splitter.flush(emit);
        stream.watch.reset();
        stream.fd.reset();
        return;
    }
}

}  // namespace forever
