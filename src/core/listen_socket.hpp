#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/unique_fd.hpp"

namespace forever {

// `listen`: foreverd binds the app's TCP socket itself and hands it to every
// run as fd 3 (LISTEN_FDS=1, as systemd's socket activation does). The
// socket outlives the runs, so connections wait in its backlog while the app
// restarts, and during a reload both runs accept from it.
struct ListenAddress {
    std::string host;  // numeric IPv4 or IPv6; empty = every address (IPv6 and IPv4)
    uint16_t port = 0;
};

// "8080", "127.0.0.1:8080", "[::1]:8080". Sets `error` and returns nothing
// when it is not one of those.
std::optional<ListenAddress> parseListenAddress(const std::string& text, std::string& error);

// A listening, close-on-exec TCP socket; throws std::system_error (with the
// address in the message) when it cannot be bound.
UniqueFd openListenSocket(const ListenAddress& address);

}  // namespace forever
