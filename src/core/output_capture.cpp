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

OutputCapture::OutputCapture(EventLoop& loop, UniqueFd stdoutPipe, UniqueFd stderrPipe, Sinks sinks,
                             ErrorHandler onError)
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

bool OutputCapture::finished() const {
    return !out_.fd && !err_.fd;
}

void OutputCapture::write(LogFile* file, std::string_view lines) {
    if (!file || lines.empty()) {
        return;
    }
    std::error_code ec = file->write(lines);
    auto it = failing_.find(file);
    if (!ec) {
        if (it != failing_.end()) {
            // Said once the file takes lines again, so that what the file
            // lacks is on record (the journal), not silently missing.
            if (onError_) {
                onError_(file->path() + ": writable again; " +
                         std::to_string(it->second.droppedBytes) +
                         " bytes of output were dropped while it was not");
            }
            failing_.erase(it);
        }
        return;
    }
    // Report each failure once per file; the app keeps running and its
    // output is dropped (and counted) until the file is writable again.
    if (it == failing_.end() || it->second.error != ec) {
        if (onError_) {
            onError_(file->path() + ": " + ec.message() +
                     "; output is dropped until it is writable again");
        }
        it = failing_
                 .insert_or_assign(file,
                                   Failure{ec, it == failing_.end() ? 0 : it->second.droppedBytes})
                 .first;
    }
    it->second.droppedBytes += lines.size();
}

void OutputCapture::onReadable(Stream& stream) {
    char buffer[kChunk];
    auto collect = [this](std::string_view line) { batch_.append(line); };
    bool eof = false;
    batch_.clear();
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        ssize_t n = ::read(stream.fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            stream.splitter.feed(std::string_view(buffer, static_cast<size_t>(n)), collect);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            break;
        }
        // EOF or a broken pipe: every writer is gone.
        stream.splitter.flush(collect);
        eof = true;
        break;
    }
    write(stream.file.get(), batch_);
    write(combined_.get(), batch_);
    if (eof) {
        stream.watch.reset();
        stream.fd.reset();
    }
}

}  // namespace forever
