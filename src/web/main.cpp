// forever-web: foreverd's dashboard and metrics over HTTP, as a D-Bus
// client. Socket-activated by units/forever-web.socket (exits when idle) or
// run by hand with --listen. One thread: sd-event drives the bus and MHD.
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "config.h"
#include "daemon/bus_attachment.hpp"
#include "web/event_streams.hpp"
#include "web/forever_client.hpp"
#include "web/http_server.hpp"
#include "web/web_app.hpp"
#include "web/web_options.hpp"
#include "weblink/web_link.hpp"

using namespace forever;
using namespace forever::web;

namespace {

constexpr uint64_t kSecondUs = 1000000;
constexpr uint64_t kKeepAliveUs = 10 * kSecondUs;  // below the 15 s idle timeout

struct Loop {
    sd_event* event = nullptr;
    ~Loop() { sd_event_unref(event); }
};

// A repeating timer: `tick` runs every `periodUs` until the loop ends.
template <typename F>
sd_event_source* every(sd_event* event, uint64_t periodUs, F* tick) {
    sd_event_source* source = nullptr;
    auto callback = [](sd_event_source* s, uint64_t usec, void* data) -> int {
        (*static_cast<F*>(data))();
        uint64_t period = 0;
        sd_event_source_get_time_accuracy(s, &period);
        sd_event_source_set_time(s, usec + period);
        return 0;
    };
    uint64_t now = 0;
    sd_event_now(event, CLOCK_MONOTONIC, &now);
    if (sd_event_add_time(event, &source, CLOCK_MONOTONIC, now + periodUs, periodUs, callback,
                          tick) < 0) {
        throw std::runtime_error("cannot add a timer");
    }
    sd_event_source_set_enabled(source, SD_EVENT_ON);
    return source;
}

int run(const WebOptions& options) {
    const int activated = sd_listen_fds(1);
    if (activated > 1) {
        std::fprintf(stderr, "forever-web: expected one socket from systemd, got %d\n", activated);
        return 1;
    }
    const int listenFd = activated == 1 ? SD_LISTEN_FDS_START : -1;
    ListenAddress address =
        listenFd >= 0 ? socketAddress(listenFd) : options.listen.value_or(ListenAddress{});
    const unsigned idleExit = options.idleExitSeconds.value_or(listenFd >= 0 ? 60 : 0);

    auto tokenPath = options.tokenFile
                         ? options.tokenFile
                         : webTokenPath(options.system, std::getenv("XDG_RUNTIME_DIR"));
    if (!tokenPath) {
        std::fprintf(stderr,
                     "forever-web: XDG_RUNTIME_DIR is unset: no place for the token "
                     "(give --token-file)\n");
        return 1;
    }
    GuardPolicy policy;
    policy.token = ensureWebToken(*tokenPath);
    const bool anyAddress = address.host == "0.0.0.0" || address.host == "::";
    policy.hosts = anyAddress ? std::vector<std::string>{} : acceptedHosts(address);
    policy.tokenForReads = !isLoopback(address.host);
    policy.metricsPublic = options.metricsPublic;

    Loop loop;
    if (sd_event_default(&loop.event) < 0) {
        std::fprintf(stderr, "forever-web: cannot create the event loop\n");
        return 1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sd_event_add_signal(loop.event, nullptr, SIGTERM, nullptr, nullptr);
    sd_event_add_signal(loop.event, nullptr, SIGINT, nullptr, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<sdbus::IConnection> connection;
    try {
        connection = options.system ? sdbus::createSystemBusConnection()
                                    : sdbus::createSessionBusConnection();
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "forever-web: cannot connect to the bus: %s\n",
                     e.getMessage().c_str());
        return 1;
    }
    // Reads are quick; a wedged foreverd must not hold every page for 25 s.
    connection->setMethodCallTimeout(std::chrono::seconds(5));
    int exitCode = 0;
    BusAttachment attachment(loop.event, *connection, [&](const std::string& why) {
        std::fprintf(stderr, "forever-web: lost the bus: %s\n", why.c_str());
        exitCode = 1;
        sd_event_exit(loop.event, 1);
    });

    std::unique_ptr<WebApp> app;
    ForeverClient client(
        *connection, [&] { app->processesChanged(); },
        [&](bool up) { app->supervisorAvailable(up); });
    sockaddr_storage bindTo{};
    if (listenFd < 0) {
        toSockaddr(address, bindTo);
    }
    HttpServer server(
        loop.event, listenFd, reinterpret_cast<const sockaddr*>(&bindTo), ServerLimits{},
        [&](const HttpRequest& request, Reply reply) { app->handle(request, reply); });
    app = std::make_unique<WebApp>(loop.event, client, policy, server.streams());

    auto keepAlive = [&] { server.streams().keepAlive(); };
    sd_event_source* keepAliveTimer = every(loop.event, kKeepAliveUs, &keepAlive);
    auto idleCheck = [&] {
        uint64_t now = 0;
        sd_event_now(loop.event, CLOCK_MONOTONIC, &now);
        if (idleExit > 0 && server.openConnections() == 0 &&
            now - server.lastActivityUs() >= idleExit * kSecondUs) {
            // Connections arriving from now on wait in systemd's socket.
            sd_event_exit(loop.event, 0);
        }
    };
    sd_event_source* idleTimer = every(loop.event, kSecondUs, &idleCheck);

    std::fprintf(stderr, "forever-web: serving http://%s/%s\n", address.hostPort().c_str(),
                 listenFd >= 0 ? " (socket activation)" : "");
    sd_notify(0, "READY=1");
    sd_event_loop(loop.event);
    sd_notify(0, "STOPPING=1");
    sd_event_source_disable_unref(keepAliveTimer);
    sd_event_source_disable_unref(idleTimer);
    // The app holds the server's event streams (its log followers unhook
    // from them when destroyed): it must go first, not after the server as
    // declaration order would have it (a use after free at idle exit,
    // caught by ASan in test_web_socket_activation).
    app.reset();
    return exitCode;
}

}  // namespace

int main(int argc, char** argv) {
    WebOptions options;
    try {
        options = parseWebOptions(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const UsageError& e) {
        std::fprintf(stderr, "forever-web: %s\n%s", e.what(), webUsage());
        return 2;
    }
    if (options.help) {
        std::fputs(webUsage(), stdout);
        return 0;
    }
    if (options.version) {
        std::printf("forever-web %s\n", FOREVER_VERSION);
        return 0;
    }
    try {
        return run(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forever-web: %s\n", e.what());
        return 1;
    }
}
