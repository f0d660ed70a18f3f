#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace forever {

// "2026-11-24T10:00:00.123Z": ISO 8601, UTC, milliseconds. UTC so that files
// of processes started under different TZ settings sort and compare alike.
std::string formatTimestamp(std::chrono::system_clock::time_point time);

// Turns the arbitrary chunks read from a pipe into whole lines, each ending
// with '\n', so that a log file only ever receives complete lines and
// rotation can never tear one.
//
// Memory stays bounded: a line longer than maxLine bytes is emitted in
// pieces of at most maxLine bytes (not counting the '\n' added to each
// piece, nor the timestamp). A cut never splits a UTF-8 sequence when it can
// be avoided by moving it back up to 3 bytes.
//
// With timestamps on, every emitted line (and every piece of a long one) is
// prefixed with formatTimestamp(t) and a space, where t is the time at which
// the line's first byte was fed: a line trickling in over several reads keeps
// the time it started.
class LineSplitter {
  public:
    using Emit = std::function<void(std::string_view line)>;
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

    explicit LineSplitter(std::size_t maxLine = kDefaultMaxLine);

    // An empty clock means the system clock; tests inject a fixed one.
    void setTimestamps(bool enabled, Clock clock = {});
    bool timestamps() const { return timestamps_; }

    // Calls emit once per complete line found so far, in order. The view is
    // only valid during the call.
    void feed(std::string_view chunk, const Emit& emit);

    // At EOF: emits what is left of an unterminated line, with '\n' added.
    // Does nothing when no partial line is pending.
    void flush(const Emit& emit);

    // Bytes of the pending partial line (never more than maxLine).
    std::size_t pending() const { return buffer_.size(); }
    std::size_t maxLine() const { return maxLine_; }

  private:
    std::chrono::system_clock::time_point now() const;
    void emitLine(std::string_view withNewline, const Emit& emit);
    void emitPiece(std::string_view withoutNewline, const Emit& emit);
    const std::string& prefix();

    std::size_t maxLine_;
    std::string buffer_;   // partial line, no '\n'
    std::string scratch_;  // reused to build a prefixed or '\n'-terminated line
    bool timestamps_ = false;
    Clock clock_;
    std::chrono::system_clock::time_point lineStart_{};
    // Formatting is cached: a burst of lines within one read shares a stamp.
    std::chrono::system_clock::time_point prefixTime_{};
    std::string prefix_;
};

}  // namespace forever
