#include "core/pid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

namespace forever {

namespace {

std::error_code writePid(const std::string& path, pid_t pid) {
    std::error_code ignored;  // the open below says what is wrong
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
        return {errno, std::generic_category()};
    }
    std::string text = std::to_string(pid) + "\n";
    ssize_t n = ::write(fd, text.data(), text.size());
    std::error_code ec;
    if (n != static_cast<ssize_t>(text.size())) {
        ec = n < 0 ? std::error_code(errno, std::generic_category())
                   : std::make_error_code(std::errc::io_error);
    }
    if (::close(fd) != 0 && !ec) {
        ec = {errno, std::generic_category()};
    }
    return ec;
}

std::error_code removePid(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return {errno, std::generic_category()};
    }
    return {};
}

}  // namespace

PidFiles::PidFiles(EventLoop& loop, ErrorHandler onError)
    : loop_(loop), onError_(std::move(onError)) {
    if (!onError_) {
        onError_ = [](const std::string& message) {
            std::fprintf(stderr, "<4>foreverd: %s\n", message.c_str());
        };
    }
}

void PidFiles::write(const std::string& path, pid_t pid) {
    want(path, pid);
}

void PidFiles::remove(const std::string& path) {
    want(path, 0);
}

void PidFiles::want(const std::string& path, pid_t pid) {
    auto [it, fresh] = lanes_.try_emplace(path);
    if (!fresh) {
        it->second.hasNext = true;
        it->second.next = pid;
        return;
    }
    submit(path, it->second, pid);
}

void PidFiles::submit(const std::string& path, Lane& lane, pid_t pid) {
    auto result = std::make_shared<std::error_code>();
    auto work = [path, pid, result] { *result = pid ? writePid(path, pid) : removePid(path); };
    auto done = [this, path, pid, result] {
        if (*result) {
            onError_("pid file " + path + ": cannot " + (pid ? "write" : "remove") +
                     " it: " + result->message());
        }
        auto it = lanes_.find(path);
        if (!it->second.hasNext) {
            lanes_.erase(it);
            return;
        }
        it->second.hasNext = false;
        submit(path, it->second, it->second.next);
    };
    try {
        lane.job = loop_.runBlocking(std::move(work), std::move(done));
    } catch (const std::system_error& e) {
        lanes_.erase(path);
        onError_("pid file " + path + ": " + e.what());
    }
}

}  // namespace forever
