#include "core/notify_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <system_error>

namespace forever {

NotifyFields parseNotifyMessage(const std::string& text) {
    NotifyFields out;
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0) {
            continue;
        }
        out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

NotifySocket::NotifySocket(EventLoop& loop, const std::string& name, OnMessage onMessage)
    : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)),
      onMessage_(std::move(onMessage)) {
    if (!fd_) {
        throw std::system_error(errno, std::generic_category(), "notify socket");
    }
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    // Abstract: sun_path starts with NUL; NOTIFY_SOCKET spells that '@'.
    std::string path = name.substr(0, sizeof(addr.sun_path) - 2);
    std::memcpy(addr.sun_path + 1, path.data(), path.size());
    socklen_t len =
        static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + path.size());
    if (::bind(fd_.get(), reinterpret_cast<struct sockaddr*>(&addr), len) < 0) {
        throw std::system_error(errno, std::generic_category(), "bind notify socket");
    }
    int one = 1;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    address_ = "@" + path;
    watch_ = loop.addReadable(fd_.get(), [this] { onReadable(); });
}

void NotifySocket::onReadable() {
    for (;;) {
        char buf[4096];
        alignas(struct cmsghdr) char
            control[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        struct iovec iov {
            buf, sizeof buf - 1
        };
        struct msghdr msg {};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            return;  // EAGAIN: drained
        }
        pid_t sender = 0;
        for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET) {
                continue;
            }
            if (c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred {};
                std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
                sender = cred.pid;
            } else if (c->cmsg_type == SCM_RIGHTS) {
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    ::close(fd);
                }
            }
        }
        if (sender > 0 && !(msg.msg_flags & MSG_TRUNC)) {
            onMessage_(sender, parseNotifyMessage(std::string(buf, static_cast<size_t>(n))));
        }
    }
}

}  // namespace forever
