#pragma once

#include <sdbus-c++/sdbus-c++.h>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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
};

// The CLI's one connection to foreverd. Every call goes through `call`,
// which turns D-Bus errors into CliErrors with a message a user can act on.
class BusClient {
  public:
    explicit BusClient(bool systemBus);
    ManagerProxy& manager() { return *manager_; }
    // For calls that need more than the Manager proxy (signals, async).
    sdbus::IConnection& connection() { return *connection_; }

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

    bool systemBus_;
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
