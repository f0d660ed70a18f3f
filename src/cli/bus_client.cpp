#include "cli/bus_client.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace forever::cli {

namespace {
constexpr const char* kBusName = "org.forever.Forever1";
constexpr const char* kErrorPrefix = "org.forever.Forever1.Error.";

thread_local const BusTarget* tlsTarget = nullptr;

// A scoped target was built for the invocation's --system already (the
// remote bridge command depends on it), so it is used as it is.
BusTarget defaultTarget(bool systemBus) {
    return tlsTarget ? *tlsTarget : BusTarget{systemBus, "", "", ""};
}
}  // namespace

ScopedBusTarget::ScopedBusTarget(const BusTarget& target) : previous_(tlsTarget) {
    tlsTarget = &target;
}

ScopedBusTarget::~ScopedBusTarget() {
    tlsTarget = previous_;
}

const BusTarget* scopedBusTarget() {
    return tlsTarget;
}

ManagerProxy::ManagerProxy(sdbus::IConnection& connection)
    : ProxyInterfaces(connection, kBusName, "/org/forever/Forever1") {}

ManagerProxy::~ManagerProxy() = default;

BusClient::BusClient(bool systemBus) : BusClient(defaultTarget(systemBus)) {}

BusClient::BusClient(const BusTarget& target) : target_(target), systemBus_(target.system) {
    if (!target.address.empty()) {
        connectByAddress();
        connection_->setMethodCallTimeout(std::chrono::seconds(120));
        manager_ = std::make_unique<ManagerProxy>(*connection_);
        return;
    }
    const bool systemBus = target.system;
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

void BusClient::connectByAddress() {
    transportStderr_ = std::make_unique<ChildStderr>();
    try {
        // sd-bus forks the transport (ssh) in here and waits for the bus's
        // Hello reply, so an unreachable host fails here, within ssh's
        // ConnectTimeout. (This sdbus-c++ call sets bus_client, as needed
        // for a bus behind systemd-stdio-bridge.)
        ChildStderr::Armed armed(*transportStderr_);
        connection_ = sdbus::createSessionBusConnectionWithAddress(target_.address);
    } catch (const sdbus::Error& e) {
        std::string reason = transportStderr_->lastLine();
        if (reason.rfind("ssh: ", 0) == 0) {
            reason.erase(0, 5);
        }
        throw CliError(kExitNotRunning,
                       where(fmt::format("cannot reach foreverd's bus: {}",
                                         reason.empty() ? e.getMessage() : reason)));
    }
}

std::string BusClient::where(const std::string& message) const {
    return target_.label.empty() ? message : target_.label + ": " + message;
}

CliError BusClient::translate(const sdbus::Error& e) const {
    const std::string& name = e.getName();
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
        name == "org.freedesktop.DBus.Error.Spawn.ChildExited" ||
        name == "org.freedesktop.DBus.Error.Spawn.ExecFailed") {
        return CliError(
            kExitNotRunning,
            where(fmt::format("foreverd is not running{} (start it with: systemctl "
                              "{}start forever)",
                              target_.label.empty() ? "" : " there", systemBus_ ? "" : "--user ")));
    }
    if (transportStderr_ && (name == "org.freedesktop.DBus.Error.Disconnected" ||
                             name == "org.freedesktop.DBus.Error.NoServer")) {
        std::string reason = transportStderr_->lastLine();
        return CliError(kExitNotRunning,
                        where("lost the connection" + (reason.empty() ? "" : ": " + reason)));
    }
    if (name == "org.freedesktop.DBus.Error.NoReply" ||
        name == "org.freedesktop.DBus.Error.Timeout" ||
        name == "org.freedesktop.DBus.Error.TimedOut") {
        return CliError(kExitFailure, where("foreverd did not answer in time"));
    }
    if (name.rfind(kErrorPrefix, 0) == 0) {
        int code = name == std::string(kErrorPrefix) + "NotFound" ? kExitNotFound : kExitFailure;
        return CliError(code, where(e.getMessage()));
    }
    return CliError(kExitFailure, where(fmt::format("{}: {}", name, e.getMessage())));
}

}  // namespace forever::cli
