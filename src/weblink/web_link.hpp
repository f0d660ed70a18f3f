#pragma once
// Where forever-web's bearer token lives and the dashboard URL that carries
// it: shared by forever-web (which creates the token) and `foreverctl web`
// (which prints the URL), so both agree without talking to each other.
#include <optional>
#include <stdexcept>
#include <string>

namespace forever::web {

class TokenError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// $XDG_RUNTIME_DIR/forever/web-token, or /run/forever/web-token in system
// mode; nullopt when a user has no XDG_RUNTIME_DIR (`xdgRuntimeDir` null or
// empty).
std::optional<std::string> webTokenPath(bool system, const char* xdgRuntimeDir);

// The token in `path`, creating it (0600, its directory 0700) with 32
// random bytes in hex if absent. Throws TokenError.
std::string ensureWebToken(const std::string& path);

// The token in `path`, or nullopt if there is none yet. Throws TokenError
// when it exists but cannot be read.
std::optional<std::string> readWebToken(const std::string& path);

// "http://127.0.0.1:9615/#token=T": on loopback the token rides in the
// fragment (never sent, never logged) and the page keeps it for actions;
// on other addresses every request needs it, so it is a query parameter.
// `listen` is "HOST:PORT" or "[V6]:PORT"; 0.0.0.0 and :: become loopback.
std::string dashboardUrl(const std::string& listen, const std::string& token);

}  // namespace forever::web
