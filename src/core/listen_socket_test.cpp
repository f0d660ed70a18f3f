#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "core/listen_socket.hpp"

using namespace forever;

TEST_CASE("listen addresses") {
    std::string error;
    auto a = parseListenAddress("8080", error);
    REQUIRE(a);
    CHECK(a->host.empty());
    CHECK(a->port == 8080);
    a = parseListenAddress("127.0.0.1:3000", error);
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 3000);
    a = parseListenAddress("[::1]:65535", error);
    REQUIRE(a);
    CHECK(a->host == "::1");
    CHECK(a->port == 65535);

    CHECK_FALSE(parseListenAddress("", error));
    CHECK_FALSE(parseListenAddress("0", error));
    CHECK(error == "'0' is not a port (1-65535)");
    CHECK_FALSE(parseListenAddress("65536", error));
    CHECK_FALSE(parseListenAddress("80x", error));
    CHECK_FALSE(parseListenAddress("127.0.0.1:", error));
    CHECK_FALSE(parseListenAddress("localhost:80", error));
    CHECK(error == "'localhost' is not an IPv4 address (a host name is not resolved)");
    CHECK_FALSE(parseListenAddress("::1:80", error));  // IPv6 needs brackets
    CHECK_FALSE(parseListenAddress("[::1]80", error));
    CHECK_FALSE(parseListenAddress("[nope]:80", error));
    CHECK(error == "'nope' is not an IPv6 address");
}

TEST_CASE("a bound port is refused with its address and errno") {
    UniqueFd first = openListenSocket({"127.0.0.1", 0});
    REQUIRE(first);
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    REQUIRE(::getsockname(first.get(), reinterpret_cast<sockaddr*>(&bound), &length) == 0);
    const uint16_t port = ntohs(bound.sin_port);
    int listening = 0;
    length = sizeof listening;
    ::getsockopt(first.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &length);
    CHECK(listening == 1);
    try {
        openListenSocket({"127.0.0.1", port});
        FAIL("a second bind of the same port succeeded");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == EADDRINUSE);
        CHECK(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port)) ==
              0);
    }
}
