#include "weblink/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>
#include <charconv>
#include <cstring>

namespace forever::web {

std::string ListenAddress::hostPort() const {
    return ipv6() ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

ListenAddress parseListenAddress(const std::string& text) {
    ListenAddress out;
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find("]:");
        if (close == std::string::npos) {
            throw AddressError(fmt::format("'{}': expected [IPV6]:PORT", text));
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) {
            throw AddressError(fmt::format("'{}': expected ADDRESS:PORT", text));
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
        throw AddressError(fmt::format("'{}': the port must be 1-65535", text));
    }
    out.port = static_cast<uint16_t>(value);
    sockaddr_storage probe{};
    out.host = host;
    toSockaddr(out, probe);  // validates the address
    return out;
}

socklen_t toSockaddr(const ListenAddress& address, sockaddr_storage& storage) {
    std::memset(&storage, 0, sizeof storage);
    if (address.ipv6()) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(address.port);
        if (::inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr) != 1) {
            throw AddressError(fmt::format("'{}' is not an IPv6 address", address.host));
        }
        return sizeof(sockaddr_in6);
    }
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(address.port);
    if (::inet_pton(AF_INET, address.host.c_str(), &in4->sin_addr) != 1) {
        throw AddressError(fmt::format("'{}' is not a numeric IPv4 address", address.host));
    }
    return sizeof(sockaddr_in);
}

ListenAddress socketAddress(int fd) {
    sockaddr_storage storage{};
    socklen_t len = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) < 0) {
        throw AddressError(fmt::format("getsockname: {}", std::strerror(errno)));
    }
    ListenAddress out;
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        out.port = ntohs(in6->sin6_port);
    } else if (storage.ss_family == AF_INET) {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
        ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
        out.port = ntohs(in4->sin_port);
    } else {
        throw AddressError("the listening socket is not TCP/IP");
    }
    out.host = text;
    if (out.host.rfind("::ffff:", 0) == 0) {
        out.host = out.host.substr(7);  // an IPv4-mapped address
    }
    return out;
}

bool isLoopback(const std::string& host) {
    return host == "::1" || host.rfind("127.", 0) == 0;
}

std::vector<std::string> acceptedHosts(const ListenAddress& address) {
    std::vector<std::string> out{address.hostPort()};
    if (isLoopback(address.host)) {
        out.push_back(fmt::format("localhost:{}", address.port));
    }
    return out;
}

}  // namespace forever::web
