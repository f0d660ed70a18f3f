#pragma once
// forever-web's command line.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "weblink/listen_address.hpp"

namespace forever::web {

class UsageError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

struct WebOptions {
    std::optional<ListenAddress> listen;  // unset: the socket systemd passes, else 127.0.0.1:9615
    bool system = false;
    bool metricsPublic = false;
    std::optional<unsigned> idleExitSeconds;  // unset: 60 when socket-activated, else never
    std::optional<std::string> tokenFile;
    bool help = false;
    bool version = false;
};

WebOptions parseWebOptions(const std::vector<std::string>& args);
const char* webUsage();

}  // namespace forever::web
