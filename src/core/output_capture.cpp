#include "core/output_capture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace forever {

namespace {
// Bounded work per wake-up: a child flooding its stdout cannot starve the
// loop (D-Bus calls, other children); the pipe fills and the child blocks,
// which is the back-pressure we want instead of buffering without limit.
constexpr size_t kChunk = 64 * 1024;
constexpr int kReadsPerWakeup = 4;

std::string seconds(Millis m) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(m.count()) / 1000.0);
    return text;
}
}  // namespace

OutputCapture::OutputCapture(EventLoop& loop, UniqueFd stdoutPipe, UniqueFd stderrPipe, Sinks sinks,
                             ErrorHandler onError)
    : loop_(loop), combined_(std::move(sinks.combined)), onError_(std::move(onError)) {
    out_.fd = std::move(stdoutPipe);
    err_.fd = std::move(stderrPipe);
    out_.file = std::move(sinks.out);
    err_.file = std::move(sinks.err);
    for (LogSink* sink : uniqueSinks()) {
        sink->attach(this);
    }
    for (Stream* s : {&out_, &err_}) {
        if (!s->fd) {
            continue;
        }
        ::fcntl(s->fd.get(), F_SETFL, ::fcntl(s->fd.get(), F_GETFL) | O_NONBLOCK);
        if (sinks.timestamp) {
            s->splitter.setTimestamps(true);
        }
        watch(*s);
    }
}

OutputCapture::~OutputCapture() {
    for (LogSink* sink : uniqueSinks()) {
        sink->detach(this);
    }
}

std::vector<LogSink*> OutputCapture::uniqueSinks() const {
    // The same sink twice (-o and -l naming one file) is one listener.
    std::vector<LogSink*> sinks;
    for (LogSink* sink : {out_.file.get(), err_.file.get(), combined_.get()}) {
        if (sink && std::find(sinks.begin(), sinks.end(), sink) == sinks.end()) {
            sinks.push_back(sink);
        }
    }
    return sinks;
}

bool OutputCapture::finished() const {
    return !out_.fd && !err_.fd;
}

void OutputCapture::watch(Stream& stream) {
    stream.watch = loop_.addReadable(stream.fd.get(), [this, s = &stream] { onReadable(*s); });
}

bool OutputCapture::congested(const Stream& stream) const {
    return (stream.file && stream.file->congested()) || (combined_ && combined_->congested());
}

void OutputCapture::say(const std::string& message) {
    if (onError_) {
        onError_(message);
    }
}

void OutputCapture::onWriteResult(LogSink& sink, std::error_code error, uint64_t /*written*/,
                                  uint64_t dropped) {
    droppedTotal_ += dropped;
    auto it = failing_.find(&sink);
    if (!error) {
        if (it != failing_.end()) {
            // Said once the file takes lines again, so that what the file
            // lacks is on record (the journal), not silently missing.
            say(sink.path() + ": writable again; " + std::to_string(it->second.droppedBytes) +
                " bytes of output were dropped while it was not");
            failing_.erase(it);
        }
        return;
    }
    // Report each failure once per file; the app keeps running and its
    // output is dropped (and counted) until the file is writable again.
    if (it == failing_.end() || it->second.error != error) {
        say(sink.path() + ": " + error.message() +
            "; output is dropped until it is writable again");
        it = failing_
                 .insert_or_assign(
                     &sink, Failure{error, it == failing_.end() ? 0 : it->second.droppedBytes})
                 .first;
    }
    it->second.droppedBytes += dropped;
}

void OutputCapture::onRoom(LogSink&) {
    for (Stream* s : {&out_, &err_}) {
        if (!s->held || !s->fd) {
            continue;
        }
        if (congested(*s)) {
            // Still too much queued on the other sink it feeds.
            for (LogSink* sink : {s->file.get(), combined_.get()}) {
                if (sink && sink->congested()) {
                    sink->waitForRoom(this);
                }
            }
            continue;
        }
        s->held = false;
        watch(*s);
    }
}

void OutputCapture::onStall(LogSink& sink, bool stalled, Millis elapsed) {
    if (stalled) {
        say(sink.path() + ": a write has not finished after " + seconds(elapsed) +
            "; this app's output is held back (not dropped) until the file takes it");
    } else {
        say(sink.path() + ": writing again after a " + seconds(elapsed) + " stall; " +
            std::to_string(droppedTotal_) + " bytes of output dropped in all");
    }
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
    if (stream.file) {
        stream.file->append(batch_, this);
    }
    if (combined_) {
        combined_->append(batch_, this);
    }
    if (eof) {
        stream.watch.reset();
        stream.fd.reset();
        return;
    }
    if (congested(stream)) {
        // Back-pressure: the pipe fills and the app waits for its file,
        // instead of the daemon buffering without bound or dropping lines.
        stream.watch.reset();
        stream.held = true;
        for (LogSink* sink : {stream.file.get(), combined_.get()}) {
            if (sink && sink->congested()) {
                sink->waitForRoom(this);
            }
        }
    }
}

}  // namespace forever
