#include "core/listen_socket.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <system_error>

namespace forever {

std::optional<ListenAddress> parseListenAddress(const std::string& text, std::string& error) {
    ListenAddress out;
    std::string port = text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string::npos) {
            error = fmt::format("'{}' is not [IPv6]:PORT", text);
            return std::nullopt;
        }
        out.host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        in6_addr a6{};
        if (::inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
            error = fmt::format("'{}' is not an IPv6 address", out.host);
            return std::nullopt;
        }
    } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
        out.host = text.substr(0, colon);
        port = text.substr(colon + 1);
        in_addr a4{};
        if (::inet_pton(AF_INET, out.host.c_str(), &a4) != 1) {
            error =
                fmt::format("'{}' is not an IPv4 address (a host name is not resolved)", out.host);
            return std::nullopt;
        }
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
        error = fmt::format("'{}' is not a port (1-65535)", port);
        return std::nullopt;
    }
    out.port = static_cast<uint16_t>(value);
    return out;
}

UniqueFd openListenSocket(const ListenAddress& address) {
    const std::string where = address.host.empty() ? fmt::format("port {}", address.port)
                              : address.host.find(':') != std::string::npos
                                  ? fmt::format("[{}]:{}", address.host, address.port)
                                  : fmt::format("{}:{}", address.host, address.port);
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET6;
    in_addr a4{};
    if (!address.host.empty() && ::inet_pton(AF_INET, address.host.c_str(), &a4) == 1) {
        family = AF_INET;
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(address.port);
        sin->sin_addr = a4;
        length = sizeof *sin;
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(address.port);
        sin6->sin6_addr = in6addr_any;
        if (!address.host.empty()) {
            ::inet_pton(AF_INET6, address.host.c_str(), &sin6->sin6_addr);
        }
        length = sizeof *sin6;
    }
    auto fail = [&](const char* what) {
        return std::system_error(errno, std::generic_category(),
                                 fmt::format("cannot listen on {}: {}", where, what));
    };
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw fail("socket");
    }
    int on = 1;
    // A restarted foreverd binds again while old connections are in TIME_WAIT.
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (family == AF_INET6 && address.host.empty()) {
        int off = 0;  // every address means IPv4 too
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) < 0) {
        throw fail("bind");
    }
    if (::listen(fd.get(), SOMAXCONN) < 0) {
        throw fail("listen");
    }
    return fd;
}

}  // namespace forever
