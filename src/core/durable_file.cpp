#include "core/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/unique_fd.hpp"

namespace forever {

namespace {

std::error_code lastError() {
    return {errno, std::generic_category()};
}

}  // namespace

std::error_code writeAll(int fd, std::string_view data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return lastError();
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

std::error_code makePrivateDir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return ec;
    }
    ::chmod(dir.c_str(), 0700);
    return {};
}

std::error_code replaceFileDurably(const std::filesystem::path& file, std::string_view text) {
    return replaceFileDurably(file, [text](int fd) { return writeAll(fd, text); });
}

std::error_code replaceFileDurably(const std::filesystem::path& file,
                                   const std::function<std::error_code(int fd)>& fill) {
    const auto tmp = file.string() + ".tmp";
    auto writeTmp = [&]() -> std::error_code {
        UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd) {
            return lastError();
        }
        if (auto werr = fill(fd.get())) {
            return werr;
        }
        if (::fsync(fd.get()) != 0) {
            return lastError();
        }
        if (::rename(tmp.c_str(), file.c_str()) != 0) {
            return lastError();
        }
        return {};
    };
    if (auto werr = writeTmp()) {
        // `file` is untouched; a half-written tmp would only hold on to the
        // space (ENOSPC) the next attempt needs.
        ::unlink(tmp.c_str());
        return werr;
    }
    UniqueFd dirFd(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dirFd) {
        ::fsync(dirFd.get());
    }
    return {};
}

}  // namespace forever
