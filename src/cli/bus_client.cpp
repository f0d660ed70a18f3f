#include "cli/bus_client.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace forever::cli {

namespace {
constexpr const char* kBusName = "org.forever.Forever1";
constexpr const char* kErrorPrefix = "org.forever.Forever1.Error.";
}  // namespace

ManagerProxy::ManagerProxy(sdbus::IConnection& connection)
    : ProxyInterfaces(connection, kBusName, "/org/forever/Forever1") {}

ManagerProxy::~ManagerProxy() = default;

BusClient::BusClient(bool systemBus) : systemBus_(systemBus) {
    if (!systemBus && !std::getenv("DBUS_SESSION_BUS_ADDRESS") && !std::getenv("XDG_RUNTIME_DIR")) {
        throw CliError(kExitNotRunning,
                       "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are "
                       "unset (log in with a user session, or use --system)");
    }
    try {
        // 1.2's createConnection() would open the *system* bus: be explicit.
        connection_ =
            systemBus ? sdbus::createSystemBusConnection() : sdbus::createSessionBusConnection();
    } catch (const sdbus::Error& e) {
        throw CliError(kExitNotRunning,
                       fmt::format("cannot connect to the {} bus: {}",
                                   systemBus ? "system" : "session", e.getMessage()));
    }
    // Stop waits for processes to die (killTimeout, 5 s by default, each).
    connection_->setMethodCallTimeout(std::chrono::seconds(120));
    manager_ = std::make_unique<ManagerProxy>(*connection_);
}

CliError BusClient::translate(const sdbus::Error& e) const {
    const std::string& name = e.getName();
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
        name == "org.freedesktop.DBus.Error.Spawn.ChildExited" ||
        name == "org.freedesktop.DBus.Error.Spawn.ExecFailed") {
        return CliError(kExitNotRunning,
                        fmt::format("foreverd is not running (start it with: systemctl {}start "
                                    "forever)",
                                    systemBus_ ? "" : "--user "));
    }
    if (name == "org.freedesktop.DBus.Error.NoReply" ||
        name == "org.freedesktop.DBus.Error.Timeout" ||
        name == "org.freedesktop.DBus.Error.TimedOut") {
        return CliError(kExitFailure, "foreverd did not answer in time");
    }
    if (name.rfind(kErrorPrefix, 0) == 0) {
        int code = name == std::string(kErrorPrefix) + "NotFound" ? kExitNotFound : kExitFailure;
        return CliError(code, e.getMessage());
    }
    return CliError(kExitFailure, fmt::format("{}: {}", name, e.getMessage()));
}

}  // namespace forever::cli
