#include "core/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <utility>

namespace forever {

namespace {

std::error_code errnoCode(int err) {
    return std::error_code(err, std::generic_category());
}

std::string rotatedName(const std::string& path, unsigned n) {
    return path + "." + std::to_string(n);
}

// "7" for "out.log.7" given "out.log"; 0 when the name is not a rotated file
// of `base` (anything else in the directory must be left alone).
unsigned rotationIndex(std::string_view name, std::string_view base) {
    if (name.size() <= base.size() + 1 || name.substr(0, base.size()) != base ||
        name[base.size()] != '.') {
        return 0;
    }
    std::string_view digits = name.substr(base.size() + 1);
    if (digits.front() == '0' || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return 0;
    }
    unsigned n = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return n;
}

}  // namespace

std::vector<std::string> LogFile::rotatedFiles(const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<std::pair<unsigned, std::string>> found;
    fs::path p(path);
    std::string base = p.filename().string();
    if (base.empty()) {
        return {};
    }
    fs::path dir = p.parent_path();
    std::error_code ec;
    fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (unsigned n = rotationIndex(it->path().filename().string(), base)) {
            // Built from `path` itself so callers get names spelled like theirs.
            found.emplace_back(n, rotatedName(path, n));
        }
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> names;
    names.reserve(found.size());
    for (auto& entry : found) {
        names.push_back(std::move(entry.second));
    }
    return names;
}

std::error_code LogFile::fail(std::error_code ec) noexcept {
    lastError_ = ec;
    return ec;
}

std::error_code LogFile::openFd(int extraFlags) noexcept {
    // O_NONBLOCK: no effect on regular files, but a FIFO without a reader
    // fails with ENXIO instead of hanging the daemon. O_NOCTTY: a tty named
    // as log must not become the daemon's controlling terminal.
    int fd = ::open(path_.c_str(),
                    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | extraFlags,
                    0644);
    if (fd < 0) {
        return errnoCode(errno);
    }
    UniqueFd owned(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return errnoCode(errno);
    }
    fd_ = std::move(owned);
    rotationRetryAt_ = 0;
    regular_ = S_ISREG(st.st_mode);
    size_ = regular_ ? static_cast<uint64_t>(st.st_size) : 0;
    return {};
}

std::error_code LogFile::open(const std::string& path, bool append,
                              RotationPolicy policy) noexcept {
    fd_.reset();
    size_ = 0;
    regular_ = false;
    try {
        path_ = path;
    } catch (...) {
        return fail(std::make_error_code(std::errc::not_enough_memory));
    }
    policy_ = policy;
    lastError_.clear();
    if (std::error_code ec = openFd(append ? 0 : O_TRUNC)) {
        return fail(ec);
    }
    pruneOld();
    return {};
}

std::error_code LogFile::reopen() noexcept {
    if (path_.empty()) {
        return fail(errnoCode(EBADF));
    }
    if (std::error_code ec = openFd(0)) {
        // The old descriptor, if any, stays: still better than nothing.
        return fail(ec);
    }
    return {};
}

std::error_code LogFile::rotate() noexcept {
    if (!fd_) {
        return fail(errnoCode(EBADF));
    }
    if (!regular_) {
        return {};
    }
    try {
        std::vector<std::string> rotated = rotatedFiles(path_);
        // Oldest first, so each rename's target has already moved away. Only
        // existing files are visited: `keep` may be huge, the directory is not.
        for (auto it = rotated.rbegin(); it != rotated.rend(); ++it) {
            std::string_view suffix = std::string_view(*it).substr(path_.size() + 1);
            unsigned n = 0;
            std::from_chars(suffix.data(), suffix.data() + suffix.size(), n);
            int rc = n >= policy_.keep
                         ? ::unlink(it->c_str())  // also files of an earlier, larger keep
                         : ::rename(it->c_str(), rotatedName(path_, n + 1).c_str());
            // Stop at the first failure: going on would overwrite a file that
            // could not be moved out of the way.
            if (rc != 0 && errno != ENOENT) {
                return fail(errnoCode(errno));
            }
        }
        // ENOENT: the file was deleted under us; just start a new one.
        int rc = policy_.keep == 0 ? ::unlink(path_.c_str())
                                   : ::rename(path_.c_str(), rotatedName(path_, 1).c_str());
        if (rc != 0 && errno != ENOENT) {
            return fail(errnoCode(errno));
        }
    } catch (...) {
        return fail(std::make_error_code(std::errc::not_enough_memory));
    }
    // Until this succeeds the old descriptor stays, now writing to path.1:
    // lines land in a rotated file rather than nowhere.
    if (std::error_code ec = openFd(0)) {
        return fail(ec);
    }
    pruneOld();
    return {};
}

std::error_code LogFile::write(std::string_view lines) noexcept {
    uint64_t written = 0;
    return write(lines, written);
}

std::error_code LogFile::write(std::string_view lines, uint64_t& written) noexcept {
    written = 0;
    if (!fd_) {
        return fail(errnoCode(EBADF));
    }
    std::error_code rotationError;
    while (!lines.empty()) {
        // More than maxBytes at once (a capture batches up to 256 KiB of
        // lines per wake-up) goes in runs of whole lines of at most
        // maxBytes, so rotation falls between them: no file grows past
        // maxBytes unless a single line is longer.
        size_t length = lines.size();
        if (regular_ && policy_.maxBytes > 0 && length > policy_.maxBytes) {
            size_t cut = lines.rfind('\n', policy_.maxBytes - 1);
            if (cut == std::string_view::npos) {
                cut = lines.find('\n');  // one line longer than maxBytes: whole
            }
            length = cut == std::string_view::npos ? lines.size() : cut + 1;
        }
        if (std::error_code ec = writeRun(lines.substr(0, length), rotationError)) {
            return fail(ec);
        }
        written += length;
        lines.remove_prefix(length);
    }
    if (rotationError) {
        return fail(rotationError);
    }
    lastError_.clear();
    return {};
}

std::error_code LogFile::writeRun(std::string_view lines, std::error_code& rotationError) noexcept {
    if (regular_ && policy_.maxBytes > 0 && size_ > 0 &&
        size_ + lines.size() > std::max(policy_.maxBytes, rotationRetryAt_)) {
        if (std::error_code ec = rotate()) {
            // Retrying on every line would rescan the directory per line of
            // a chatty process; retry once the file grew by a slice more.
            rotationRetryAt_ = size_ + std::max<uint64_t>(policy_.maxBytes / 16, 4096);
            if (!rotationError) {
                rotationError = ec;
            }
        }
    }
    uint64_t before = size_;
    while (!lines.empty()) {
        ssize_t n = ::write(fd_.get(), lines.data(), lines.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            // write() returning 0 for a non-empty buffer would loop forever.
            std::error_code ec = n < 0 ? errnoCode(errno) : errnoCode(EIO);
            if (regular_ && size_ != before &&
                ::ftruncate(fd_.get(), static_cast<off_t>(before)) == 0) {
                size_ = before;
            }
            return ec;
        }
        size_ += static_cast<uint64_t>(n);
        lines.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

std::size_t LogFile::pruneOld(std::chrono::system_clock::time_point now) noexcept {
    if (path_.empty() || policy_.maxAge.count() <= 0) {
        return 0;
    }
    std::size_t removed = 0;
    try {
        auto cutoff = now - policy_.maxAge;
        for (const std::string& name : rotatedFiles(path_)) {
            struct stat st {};
            // lstat: a symlink is judged, and removed, as itself, never its target.
            if (::lstat(name.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
                continue;
            }
            auto mtime = std::chrono::system_clock::time_point(
                std::chrono::duration_cast<std::chrono::system_clock::duration>(
                    std::chrono::seconds(st.st_mtim.tv_sec) +
                    std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
            if (mtime < cutoff && ::unlink(name.c_str()) == 0) {
                ++removed;
            }
        }
    } catch (...) {
        // Out of memory listing the directory: try again next time.
    }
    return removed;
}

}  // namespace forever
