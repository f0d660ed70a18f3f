#include "web/web_options.hpp"

#include <fmt/format.h>
#include <charconv>

namespace forever::web {

const char* webUsage() {
    return "Usage: forever-web [OPTIONS]\n"
           "Serve foreverd's dashboard, JSON API and Prometheus /metrics over HTTP.\n\n"
           "  --listen ADDR:PORT   address to listen on (default: the socket systemd\n"
           "                       passes, else 127.0.0.1:9615)\n"
           "  --system             talk to the system-mode foreverd (system bus)\n"
           "  --metrics-public     leave /metrics open on a non-loopback address\n"
           "  --idle-exit SEC      exit after SEC seconds without a connection\n"
           "                       (default 60 when socket-activated, else never; 0 never)\n"
           "  --token-file PATH    bearer token (default $XDG_RUNTIME_DIR/forever/web-token,\n"
           "                       /run/forever/web-token with --system)\n"
           "  -h, --help           this help\n"
           "  --version            print the version\n";
}

WebOptions parseWebOptions(const std::vector<std::string>& args) {
    WebOptions o;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) {
                throw UsageError(fmt::format("{} needs a value", a));
            }
            return args[++i];
        };
        if (a == "--listen") {
            try {
                o.listen = parseListenAddress(value());
            } catch (const AddressError& e) {
                throw UsageError(fmt::format("--listen: {}", e.what()));
            }
        } else if (a == "--system") {
            o.system = true;
        } else if (a == "--metrics-public") {
            o.metricsPublic = true;
        } else if (a == "--idle-exit") {
            const std::string& v = value();
            unsigned seconds = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
            if (ec != std::errc{} || end != v.data() + v.size()) {
                throw UsageError("--idle-exit needs a whole number of seconds");
            }
            o.idleExitSeconds = seconds;
        } else if (a == "--token-file") {
            o.tokenFile = value();
        } else if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--version") {
            o.version = true;
        } else {
            throw UsageError(fmt::format("unknown option '{}'", a));
        }
    }
    return o;
}

}  // namespace forever::web
