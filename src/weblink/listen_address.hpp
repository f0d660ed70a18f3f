#pragma once
// `--listen ADDR:PORT` and the address a socket-activated fd is bound to,
// as one value: the Host header check and the dashboard URL both need it.
#include <sys/socket.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace forever::web {

class AddressError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

struct ListenAddress {
    std::string host = "127.0.0.1";  // numeric: IPv4, or IPv6 without brackets
    uint16_t port = 9615;
    bool ipv6() const { return host.find(':') != std::string::npos; }
    // "127.0.0.1:9615" or "[::1]:9615".
    std::string hostPort() const;
};

// "127.0.0.1:9615", "[::1]:8080", "localhost:9615" (→ 127.0.0.1). Numeric
// addresses only otherwise: no resolver at startup. Throws AddressError.
ListenAddress parseListenAddress(const std::string& text);

// What a bound socket is listening on (getsockname).
ListenAddress socketAddress(int fd);

bool isLoopback(const std::string& host);

// The Host header values a browser sends for this address: the address
// itself and, on loopback, "localhost:PORT".
std::vector<std::string> acceptedHosts(const ListenAddress& address);

// For bind(): fills `storage`, returns its length. Throws AddressError.
socklen_t toSockaddr(const ListenAddress& address, sockaddr_storage& storage);

}  // namespace forever::web
