#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/child_stderr.hpp"
#include "manager_proxy.h"

namespace forever::cli {

// A failure the user should read as one line; `exitCode` follows the
// convention of systemctl (1 generic, 3 not running, 4 no such process).
class CliError : public std::runtime_error {
  public:
    CliError(int exitCode, const std::string& message)
        : std::runtime_error(message), exitCode_(exitCode) {}
    int exitCode() const { return exitCode_; }

  private:
    int exitCode_;
};

enum ExitCode {
    kExitOk = 0,
    kExitFailure = 1,
    kExitUsage = 2,
    kExitNotRunning = 3,
    kExitNotFound = 4,
};

using Properties = std::map<std::string, sdbus::Variant>;

class ManagerProxy final : public sdbus::ProxyInterfaces<org::forever::Forever1::Manager_proxy> {
  public:
    ManagerProxy(sdbus::IConnection& connection);
    ~ManagerProxy();

  private:
    // The CLI does not subscribe to signals (no AddMatch round trips); these
    // exist because the generated class declares them.
    void onProcessStarted(const sdbus::ObjectPath&, const std::string&, const uint32_t&) override {}
    void onProcessExited(const sdbus::ObjectPath&, const std::string&, const int32_t&,
                         const int32_t&) override {}
    void onProcessRestarted(const sdbus::ObjectPath&, const std::string&, const uint32_t&,
                            const uint32_t&) override {}
    void onCrashLoop(const sdbus::ObjectPath&, const std::string&, const uint32_t&) override {}
    void onGaveUp(const sdbus::ObjectPath&, const std::string&, const std::string&) override {}
    void onGroupProgress(const std::string&, const std::string&, const std::string&,
                         const std::string&) override {}
    void onMetricsSampled(const uint64_t&) override {}
};

// Where a BusClient connects: this machine's bus, or a bus by address
// (remote_address.hpp builds those for -H and --machine).
struct BusTarget {
    bool system = false;
    std::string address;  // empty: this machine's system or session bus
    std::string label;    // the host as the user wrote it; prefixes errors
    std::string sshHost;  // -H's [user@]host[:port]: for what runs over ssh beside the bus (logs)
};

// While it lives, BusClients this thread constructs from just `systemBus`
// connect to `target` (built for the same --system) instead of this
// machine's bus. How -H reaches every action without each one knowing:
// main sets one for a single host, the fleet runner one per host thread.
class ScopedBusTarget {
  public:
    explicit ScopedBusTarget(const BusTarget& target);
    ~ScopedBusTarget();
    ScopedBusTarget(const ScopedBusTarget&) = delete;
    ScopedBusTarget& operator=(const ScopedBusTarget&) = delete;

  private:
    const BusTarget* previous_;
};

// This thread's scoped target, or null (this machine's bus).
const BusTarget* scopedBusTarget();

// The CLI's one connection to foreverd. Every call goes through `call`,
// which turns D-Bus errors into CliErrors with a message a user can act on.
class BusClient {
  public:
    explicit BusClient(bool systemBus);
    explicit BusClient(const BusTarget& target);
    ManagerProxy& manager() { return *manager_; }
    // For calls that need more than the Manager proxy (signals, async).
    sdbus::IConnection& connection() { return *connection_; }
    const BusTarget& target() const { return target_; }

    template <typename Call>
    auto call(Call&& body) -> decltype(body(std::declval<ManagerProxy&>())) {
        try {
            return body(*manager_);
        } catch (const sdbus::Error& e) {
            throw translate(e);
        }
    }

  private:
    CliError translate(const sdbus::Error& e) const;
    void connectByAddress();
    std::string where(const std::string& message) const;

    BusTarget target_;
    bool systemBus_;
    // What ssh (or another exec'd transport) wrote: the reason of a failure.
    std::unique_ptr<ChildStderr> transportStderr_;
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<ManagerProxy> manager_;
};

// Reads a typed value out of a List() dictionary, or a default.
template <typename T>
T property(const Properties& props, const std::string& name, T fallback = T{}) {
    auto it = props.find(name);
    if (it == props.end() || !it->second.containsValueOfType<T>()) {
        return fallback;
    }
    return it->second.get<T>();
}

}  // namespace forever::cli
