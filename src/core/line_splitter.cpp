#include "core/line_splitter.hpp"

#include <ctime>

#include <fmt/format.h>

namespace forever {

namespace {

// Where to cut a piece of a line too long to keep: before a UTF-8 sequence
// the piece would otherwise split, so that both pieces stay valid text.
std::size_t cutPoint(std::string_view piece) {
    std::size_t size = piece.size();
    for (std::size_t back = 1; back <= 4 && back <= size; ++back) {
        auto c = static_cast<unsigned char>(piece[size - back]);
        if ((c & 0xC0) == 0x80) {
            continue;
        }
        std::size_t length = (c & 0xE0) == 0xC0   ? 2
                             : (c & 0xF0) == 0xE0 ? 3
                             : (c & 0xF8) == 0xF0 ? 4
                                                  : 1;
        if (length > back && back < size) {
            return size - back;
        }
        return size;
    }
    // Only continuation bytes: not UTF-8, cut anywhere.
    return size;
}

}  // namespace

std::string formatTimestamp(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    auto ms = floor<milliseconds>(time);
    auto secs = floor<seconds>(ms);
    std::time_t t = system_clock::to_time_t(secs);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       (ms - secs).count());
}

LineSplitter::LineSplitter(std::size_t maxLine) : maxLine_(maxLine == 0 ? 1 : maxLine) {}

void LineSplitter::setTimestamps(bool enabled, Clock clock) {
    timestamps_ = enabled;
    clock_ = std::move(clock);
    prefix_.clear();
}

std::chrono::system_clock::time_point LineSplitter::now() const {
    return clock_ ? clock_() : std::chrono::system_clock::now();
}

const std::string& LineSplitter::prefix() {
    if (prefix_.empty() || prefixTime_ != lineStart_) {
        prefixTime_ = lineStart_;
        prefix_ = formatTimestamp(lineStart_);
        prefix_ += ' ';
    }
    return prefix_;
}

void LineSplitter::emitLine(std::string_view withNewline, const Emit& emit) {
    if (!timestamps_) {
        emit(withNewline);
        return;
    }
    scratch_ = prefix();
    scratch_ += withNewline;
    emit(scratch_);
}

void LineSplitter::emitPiece(std::string_view withoutNewline, const Emit& emit) {
    scratch_.clear();
    if (timestamps_) {
        scratch_ = prefix();
    }
    scratch_ += withoutNewline;
    scratch_ += '\n';
    emit(scratch_);
}

void LineSplitter::feed(std::string_view chunk, const Emit& emit) {
    if (chunk.empty()) {
        return;
    }
    // One clock read per chunk: lines arriving together share a time.
    std::chrono::system_clock::time_point chunkTime{};
    if (timestamps_) {
        chunkTime = now();
    }
    while (!chunk.empty()) {
        if (buffer_.empty()) {
            lineStart_ = chunkTime;
        }
        std::size_t room = maxLine_ - buffer_.size();
        std::size_t nl = chunk.find('\n');
        if (nl != std::string_view::npos && nl <= room) {
            if (buffer_.empty()) {
                // Common case: the line is whole inside the chunk, no copy.
                emitLine(chunk.substr(0, nl + 1), emit);
            } else {
                buffer_.append(chunk.substr(0, nl + 1));
                emitLine(buffer_, emit);
                buffer_.clear();
            }
            chunk.remove_prefix(nl + 1);
            continue;
        }
        if (chunk.size() <= room) {
            // A full buffer is kept, not cut: the next byte may be its '\n'.
            buffer_.append(chunk);
            return;
        }
        buffer_.append(chunk.substr(0, room));
        chunk.remove_prefix(room);
        std::size_t cut = cutPoint(buffer_);
        emitPiece(std::string_view(buffer_).substr(0, cut), emit);
        buffer_.erase(0, cut);
        // What follows continues the same line, so it keeps its start time.
    }
}

void LineSplitter::flush(const Emit& emit) {
    if (buffer_.empty()) {
        return;
    }
    emitPiece(buffer_, emit);
    buffer_.clear();
}

}  // namespace forever
