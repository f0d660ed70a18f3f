#include "cli/child_stderr.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <system_error>

namespace forever::cli {

namespace {

thread_local int tlsChildStderr = -1;

void redirectInChild() {
    if (tlsChildStderr >= 0) {
        dup2(tlsChildStderr, STDERR_FILENO);
    }
}

void installForkHandler() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (int r = pthread_atfork(nullptr, nullptr, redirectInChild); r != 0) {
            throw std::system_error(r, std::generic_category(), "pthread_atfork");
        }
    });
}

}  // namespace

ChildStderr::ChildStderr() {
    installForkHandler();
    fd_ = memfd_create("foreverctl-child-stderr", MFD_CLOEXEC);
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "memfd_create");
    }
}

ChildStderr::~ChildStderr() {
    close(fd_);
}

ChildStderr::Armed::Armed(const ChildStderr& capture) : previous_(tlsChildStderr) {
    tlsChildStderr = capture.fd_;
}

ChildStderr::Armed::~Armed() {
    tlsChildStderr = previous_;
}

std::string ChildStderr::lastLine() const {
    std::string text;
    char buf[4096];
    off_t offset = 0;
    for (;;) {
        ssize_t n = pread(fd_, buf, sizeof buf, offset);
        if (n <= 0) {
            break;
        }
        text.append(buf, static_cast<size_t>(n));
        offset += n;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    auto start = text.rfind('\n');
    return start == std::string::npos ? text : text.substr(start + 1);
}

}  // namespace forever::cli
