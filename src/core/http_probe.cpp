#include "core/http_probe.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace forever {

std::optional<HttpUrl> parseHttpUrl(const std::string& url, std::string& error) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) {
        error = "only http:// URLs are supported";
        return std::nullopt;
    }
    HttpUrl out;
    std::string rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    out.path = slash == std::string::npos ? "/" : rest.substr(slash);
    auto colon = hostport.rfind(':');
    if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
        std::string port = hostport.substr(colon + 1);
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
        if (ec != std::errc{} || ptr != port.data() + port.size() || out.port == 0 ||
            out.port > 65535) {
            error = fmt::format("bad port '{}'", port);
            return std::nullopt;
        }
        hostport = hostport.substr(0, colon);
    }
    if (hostport.empty() || hostport.find_first_of(" \t\r\n@") != std::string::npos) {
        error = "no host";
        return std::nullopt;
    }
    if (out.path.find_first_of(" \r\n") != std::string::npos) {
        error = "the path may not contain spaces or line breaks";
        return std::nullopt;
    }
    out.host = hostport;
    return out;
}

int parseStatusLine(const std::string& head) {
    // "HTTP/1.x NNN ..."
    if (head.rfind("HTTP/", 0) != 0) {
        return 0;
    }
    auto space = head.find(' ');
    if (space == std::string::npos || head.size() < space + 4) {
        return 0;
    }
    int code = 0;
    auto [ptr, ec] = std::from_chars(head.data() + space + 1, head.data() + space + 4, code);
    return ec == std::errc{} && ptr == head.data() + space + 4 ? code : 0;
}

HttpProbe::HttpProbe(EventLoop& loop, const HttpUrl& url, Millis timeout, Done done)
    : loop_(loop), url_(url), done_(std::move(done)) {
    timer_ = loop_.addTimer(timeout, [this] { finish(false, "no answer in time"); });
    struct addrinfo hints {};
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo* res = nullptr;
    // Health URLs name local endpoints (/etc/hosts or numeric): no DNS wait.
    int rc = ::getaddrinfo(url_.host == "localhost" ? "127.0.0.1" : url_.host.c_str(),
                           std::to_string(url_.port).c_str(), &hints, &res);
    if (rc != 0 || !res) {
        std::string why = ::gai_strerror(rc);
        io_ = loop_.addDeferred([this, why] { finish(false, "cannot resolve: " + why); });
        return;
    }
    fd_.reset(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int r = fd_ ? ::connect(fd_.get(), res->ai_addr, res->ai_addrlen) : -1;
    int err = errno;
    ::freeaddrinfo(res);
    if (r < 0 && err != EINPROGRESS) {
        io_ = loop_.addDeferred(
            [this, err] { finish(false, fmt::format("connect: {}", std::strerror(err))); });
        return;
    }
    io_ = loop_.addWritable(fd_.get(), [this] { onWritable(); });
}

HttpProbe::~HttpProbe() = default;

void HttpProbe::finish(bool ok, const std::string& detail) {
    if (!done_) {
        return;
    }
    auto done = std::move(done_);
    done_ = nullptr;
    io_.reset();
    timer_.reset();
    fd_.reset();
    done(ok, detail);  // may destroy this probe: nothing after it
}

void HttpProbe::onWritable() {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        finish(false, fmt::format("connect: {}", std::strerror(err)));
        return;
    }
    std::string request = fmt::format(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: foreverd\r\nConnection: close\r\n\r\n",
        url_.path, url_.host);
    // A few hundred bytes to a fresh socket: one send does it.
    if (::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        finish(false, fmt::format("send: {}", std::strerror(errno)));
        return;
    }
    // One event source per fd: epoll refuses a second registration.
    io_.reset();
    io_ = loop_.addReadable(fd_.get(), [this] { onReadable(); });
}

void HttpProbe::onReadable() {
    char buf[1024];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n > 0) {
        response_.append(buf, static_cast<size_t>(n));
    }
    auto eol = response_.find("\r\n");
    if (eol == std::string::npos && n > 0 && response_.size() < 4096) {
        return;  // the status line is not complete yet
    }
    int code = parseStatusLine(response_.substr(0, eol));
    if (code == 0) {
        finish(false,
               n < 0 ? fmt::format("recv: {}", std::strerror(errno)) : "not an HTTP response");
    } else {
        finish(code >= 200 && code < 300, fmt::format("HTTP {}", code));
    }
}

}  // namespace forever
