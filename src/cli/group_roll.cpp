#include "cli/group_roll.hpp"

#include <poll.h>
#include <time.h>

#include <chrono>
#include <memory>
#include <optional>

namespace forever::cli {

namespace {
constexpr const char* kBusName = "org.forever.Forever1";
constexpr const char* kManager = "org.forever.Forever1.Manager";

uint64_t monotonicNowUs() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

// Waits for the connection's next event (or its own timeout) and handles
// everything pending: sdbus-c++ 1.2's poll data, as foreverd's loop uses it.
void pumpOnce(sdbus::IConnection& connection) {
    auto data = connection.getEventLoopPollData();
    int timeoutMs = -1;
    if (data.timeout_usec != UINT64_MAX) {
        uint64_t now = monotonicNowUs();
        timeoutMs = data.timeout_usec <= now ? 0 : int((data.timeout_usec - now + 999) / 1000);
    }
    struct pollfd pfd {
        data.fd, static_cast<short>(data.events), 0
    };
    ::poll(&pfd, 1, timeoutMs);
    while (connection.processPendingRequest()) {
    }
}
}  // namespace

std::string failedMember(const std::string& failure) {
    auto colon = failure.find(": ");
    return colon == std::string::npos ? "" : failure.substr(0, colon);
}

std::vector<std::string> rollGroup(BusClient& client, const std::string& group, unsigned parallel,
                                   const GroupStep& onStep) {
    return client.call([&](ManagerProxy&) {
        sdbus::IConnection& connection = client.connection();
        auto proxy = sdbus::createProxy(connection, kBusName, "/org/forever/Forever1");
        proxy->uponSignal("GroupProgress")
            .onInterface(kManager)
            .call([&](const std::string& signalGroup, const std::string& uid,
                      const std::string& step, const std::string& detail) {
                if (signalGroup == group) {
                    onStep(uid, step, detail);
                }
            });
        proxy->finishRegistration();  // the match is in place before the call
        std::optional<std::vector<std::string>> reloaded;
        std::optional<sdbus::Error> error;
        // Each member is bounded by its reloadTimeout; a day bounds the call.
        proxy->callMethodAsync("ReloadGroup")
            .onInterface(kManager)
            .withTimeout(std::chrono::hours(24))
            .withArguments(group, uint32_t{parallel})
            .uponReplyInvoke([&](const sdbus::Error* e, std::vector<std::string> uids) {
                if (e) {
                    error = *e;
                } else {
                    reloaded = std::move(uids);
                }
            });
        while (!reloaded && !error) {
            pumpOnce(connection);
        }
        if (error) {
            throw *error;
        }
        return *reloaded;
    });
}

}  // namespace forever::cli
