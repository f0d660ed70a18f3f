#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/unique_fd.hpp"

namespace forever {

struct RotationPolicy {
    // Rotate before a write that would take the file past this size.
    // 0: never rotate.
    uint64_t maxBytes = 10 * 1024 * 1024;
    // Rotated files kept (path.1 newest ... path.keep oldest). 0: a rotation
    // simply discards the old contents.
    unsigned keep = 5;
    // Rotated files whose mtime is older than this are deleted. 0: no limit.
    std::chrono::seconds maxAge = std::chrono::hours(24 * 30);
};

// One log file (-o, -e or -l) with size rotation, logrotate style: out.log
// is current, out.log.1 the newest rotated file, out.log.N the oldest.
//
// The caller writes whole lines only (see LineSplitter); rotation happens
// between lines, so no line is ever split across two files. A write larger
// than maxBytes is split into runs of whole lines; only a single line longer
// than maxBytes makes a file bigger than that.
//
// ONE OBJECT PER PATH: the size that triggers rotation is counted by this
// object, and rotation renames the path under everyone. When the same path is
// used by several sinks (e.g. -o and -l naming one file), they must share one
// LogFile, not open two. The file is opened with O_APPEND, so a second writer
// would not corrupt lines, but its bytes would not be counted, and the two
// objects would rotate the same file twice.
//
// Nothing here throws: failures (ENOSPC, EACCES, ...) come back as an
// error_code, are remembered in lastError(), and the caller keeps running.
//
// Only regular files rotate: a path such as /dev/null or a FIFO is written
// to as is, and a FIFO without a reader fails to open instead of blocking.
// Writes on a regular file are synchronous: the daemon calls all of this
// from worker threads through LogSink, never on its event loop.
class LogFile {
  public:
    LogFile() = default;
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;
    LogFile(LogFile&&) = default;
    LogFile& operator=(LogFile&&) = default;
    ~LogFile() = default;

    // Opens (creating, mode 0644 before umask) and truncates unless append.
    // Also prunes rotated files older than maxAge. Re-opening an open object
    // closes the previous file first, even when the new open fails.
    std::error_code open(const std::string& path, bool append, RotationPolicy policy = {}) noexcept;

    // Writes `lines` (complete lines) in full, rotating first when needed
    // (and between runs of lines when there are more than maxBytes).
    // EINTR and short writes are retried. If a write fails part-way, the
    // partial bytes of that run are truncated off again (best effort) so the
    // file does not end in a torn line. If rotation fails, the lines still go to the
    // current file and the rotation error is returned; the next attempt is
    // made once the file has grown by another maxBytes/16 (at least 4 KiB).
    std::error_code write(std::string_view lines) noexcept;
    // The same, also saying how many of the bytes are in the file: every
    // run of lines before a failed one (a failed run is truncated off).
    std::error_code write(std::string_view lines, uint64_t& written) noexcept;

    // Rotates now, whatever the size (no-op on a non-regular file).
    std::error_code rotate() noexcept;

    // Reopens the path for appending, e.g. after someone moved or deleted the
    // file under us (writes would otherwise go to the old inode).
    std::error_code reopen() noexcept;

    // Deletes rotated files (path.N) whose mtime is older than now - maxAge.
    // The current file is never pruned; once rotated, it is judged by its
    // mtime like the others (its last line's age).
    // Returns how many were deleted. Callable periodically; also runs after
    // every rotation and on open.
    std::size_t pruneOld(
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) noexcept;

    const std::string& path() const { return path_; }
    // Bytes in the current file, as counted since it was opened.
    uint64_t size() const { return size_; }
    bool isOpen() const { return static_cast<bool>(fd_); }
    const RotationPolicy& policy() const { return policy_; }
    // The last failure of any operation; cleared by a successful write.
    std::error_code lastError() const { return lastError_; }

    // Existing rotated files of `path` ("path.1", "path.2", ...), by N
    // ascending (newest first). Only names with a plain decimal N >= 1 count,
    // so "out.log.1.gz" or "out.log.01" are left alone.
    static std::vector<std::string> rotatedFiles(const std::string& path);

  private:
    std::error_code openFd(int extraFlags) noexcept;
    // One run of whole lines: rotates first when needed (a failure goes to
    // rotationError, the lines are written anyway), then writes it all;
    // returns the write's own error, after truncating off a partial write.
    std::error_code writeRun(std::string_view lines, std::error_code& rotationError) noexcept;
    std::error_code fail(std::error_code ec) noexcept;

    std::string path_;
    RotationPolicy policy_;
    UniqueFd fd_;
    uint64_t size_ = 0;
    bool regular_ = false;
    uint64_t rotationRetryAt_ = 0;  // after a failed rotation, the size to try again at
    std::error_code lastError_;
};

}  // namespace forever
