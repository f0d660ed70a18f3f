#include "web/forever_client.hpp"

#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdlib>

#include "bus/object_path.hpp"

namespace forever::web {

namespace {
constexpr const char* kBusName = "org.forever.Forever1";
constexpr const char* kProcessInterface = "org.forever.Forever1.Process";
}  // namespace

ForeverClient::ForeverClient(sdbus::IConnection& connection, std::function<void()> changed,
                             std::function<void(bool)> owner)
    : connection_(connection),
      manager_(std::make_unique<cli::ManagerProxy>(connection)),
      bus_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")) {
    // Every signal under foreverd's object tree: Manager signals,
    // PropertiesChanged of each process, objects added and removed. No
    // sender in the rule: a well-known sender is only resolved by the bus,
    // and nothing else publishes under /org/forever/Forever1.
    signalsMatch_ = connection_.addMatch("type='signal',path_namespace='/org/forever/Forever1'",
                                         [changed](sdbus::Message&) { changed(); });
    ownerMatch_ = connection_.addMatch(
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
        "member='NameOwnerChanged',arg0='org.forever.Forever1'",
        [this, owner](sdbus::Message& m) {
            std::string name, before, after;
            m >> name >> before >> after;
            pid_ = 0;
            owner(!after.empty());
        });
}

ForeverClient::~ForeverClient() = default;

std::vector<cli::ProcessView> ForeverClient::list() {
    auto rows = manager_->List();
    std::vector<cli::ProcessView> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(cli::decodeProcess(row));
    }
    return out;
}

std::map<std::string, uint64_t> ForeverClient::cpuUsageNSec() {
    return manager_->ListCPUUsageNSec();
}

std::string ForeverClient::version() {
    return manager_->Version();
}

pid_t ForeverClient::supervisorPid() {
    if (pid_ == 0) {
        uint32_t pid = 0;
        bus_->callMethod("GetConnectionUnixProcessID")
            .onInterface("org.freedesktop.DBus")
            .withArguments(std::string(kBusName))
            .storeResultsTo(pid);
        pid_ = static_cast<pid_t>(pid);
    }
    return pid_;
}

sdbus::IProxy& ForeverClient::processProxy(const std::string& uid) {
    const std::string path = processObjectPath(uid);
    auto& proxy = processes_[path];
    if (!proxy) {
        proxy = sdbus::createProxy(connection_, kBusName, path);
    }
    return *proxy;
}

std::vector<HistoryPoint> ForeverClient::history(const std::string& uid) {
    std::vector<sdbus::Struct<uint64_t, uint64_t, double, uint64_t>> samples;
    processProxy(uid)
        .callMethod("MetricsHistory")
        .onInterface(kProcessInterface)
        .storeResultsTo(samples);
    std::vector<HistoryPoint> out;
    out.reserve(samples.size());
    for (const auto& s : samples) {
        out.push_back({s.get<0>(), s.get<1>(), s.get<2>(), s.get<3>()});
    }
    return out;
}

void ForeverClient::act(
    const std::string& uid, const std::string& verb,
    std::function<void(const std::string& errorName, const std::string& message)> done) {
    processProxy(uid)
        .callMethodAsync(verb)
        .onInterface(kProcessInterface)
        .withTimeout(std::chrono::seconds(120))
        .uponReplyInvoke([done](const sdbus::Error* error) {
            if (error) {
                done(error->getName(), error->getMessage());
            } else {
                done("", "");
            }
        });
}

}  // namespace forever::web
