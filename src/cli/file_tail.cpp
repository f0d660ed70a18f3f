#include "cli/file_tail.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>

#include "core/unique_fd.hpp"

namespace forever::cli {

namespace {

// The start offset of the last `lines` lines, reading backwards in blocks so
// a 10 MiB log costs a few reads, not a full scan.
off_t lastLinesOffset(int fd, off_t size, unsigned lines) {
    if (lines == 0) {
        return size;
    }
    constexpr off_t kBlock = 8192;
    char buffer[kBlock];
    unsigned seen = 0;
    off_t end = size;
    // A trailing newline ends the last line; it does not start a new one.
    bool skipFirst = true;
    while (end > 0) {
        off_t start = end > kBlock ? end - kBlock : 0;
        ssize_t n = ::pread(fd, buffer, static_cast<size_t>(end - start), start);
        if (n <= 0) {
            return 0;
        }
        for (ssize_t i = n - 1; i >= 0; --i) {
            if (buffer[i] != '\n') {
                skipFirst = false;
                continue;
            }
            if (skipFirst) {
                skipFirst = false;
                continue;
            }
            if (++seen == lines) {
                return start + i + 1;
            }
        }
        end = start;
    }
    return 0;
}

class LineReader {
  public:
    // Returns false when emit asked to stop.
    bool read(int fd, const std::function<bool(const std::string&)>& emit) {
        char buffer[65536];
        for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) {
                return true;
            }
            pending_.append(buffer, static_cast<size_t>(n));
            size_t start = 0;
            for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos;
                 start = nl + 1) {
                if (!emit(pending_.substr(start, nl - start))) {
                    return false;
                }
            }
            pending_.erase(0, start);
        }
    }
    void reset() { pending_.clear(); }

  private:
    std::string pending_;
};

}  // namespace

bool tailFile(const std::string& path, unsigned lines, bool follow,
              const std::function<bool(const std::string& line)>& emit, std::string& error) {
    forever::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
        return false;
    }
    struct stat st {};
    ::fstat(fd.get(), &st);
    ::lseek(fd.get(), lastLinesOffset(fd.get(), st.st_size, lines), SEEK_SET);
    LineReader reader;
    if (!reader.read(fd.get(), emit) || !follow) {
        return true;
    }

    forever::UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (!inotify ||
        ::inotify_add_watch(inotify.get(), dir.empty() ? "." : dir.c_str(),
                            IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
        error = fmt::format("cannot watch {}: {}", dir, std::strerror(errno));
        return false;
    }
    for (;;) {
        struct pollfd pfd {
            inotify.get(), POLLIN, 0
        };
        // Wake up now and then even without events: a rotation that renames
        // the file and recreates it between two checks is still noticed.
        ::poll(&pfd, 1, 1000);
        char events[4096];
        while (::read(inotify.get(), events, sizeof events) > 0) {
        }
        if (!reader.read(fd.get(), emit)) {
            return true;
        }
        struct stat now {};
        bool replaced =
            ::stat(path.c_str(), &now) == 0 && (now.st_ino != st.st_ino || now.st_dev != st.st_dev);
        off_t position = ::lseek(fd.get(), 0, SEEK_CUR);
        bool truncated = !replaced && now.st_size < position;
        if (replaced || truncated) {
            forever::UniqueFd next(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
            if (next) {
                fd = std::move(next);
                ::fstat(fd.get(), &st);
                reader.reset();
                if (!reader.read(fd.get(), emit)) {
                    return true;
                }
            }
        }
    }
}

}  // namespace forever::cli
