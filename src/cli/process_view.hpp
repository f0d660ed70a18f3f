#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cli/bus_client.hpp"

namespace forever::cli {

// One row of List(), decoded from its a{sv} once, for every output form.
struct ProcessView {
    std::string path;
    uint32_t index = 0;
    std::string uid;
    std::string script;
    std::string command;
    std::vector<std::string> args;
    std::string workingDirectory;
    uint32_t pid = 0;
    std::string state;
    uint32_t restarts = 0;
    uint64_t startedAtUs = 0;  // CLOCK_REALTIME
    int32_t exitCode = -1;     // -1: no exit status (never exited, or a signal)
    int32_t exitSignal = 0;
    std::string logFile, outFile, errFile;
    uint64_t memory = 0;
    double cpu = 0;
    uint64_t memoryAverage = 0;
    double cpuAverage = 0;
    uint32_t samples = 0;
    uint64_t maxMemory = 0;
    std::string statusText;
    bool ready = false;
    uint32_t recentCrashes = 0;
    std::string reason;
    std::string group;  // "" when not in a group

    // Milliseconds since the current run started (0 when not running).
    int64_t uptimeMs(int64_t nowUs) const;
};

// One row of Manager.List(), as the generated proxy returns it.
using ProcessRow = std::decay_t<decltype(std::declval<ManagerProxy&>().List())>::value_type;

template <typename... T>
std::tuple<T...> asTuple(const sdbus::Struct<T...>&);
using ProcessTuple = decltype(asTuple(std::declval<const ProcessRow&>()));

ProcessView decodeProcess(const ProcessRow& row);
// Every process (Manager.ListV2), the members of a group together: at the
// place of the group's first member, in index order.
std::vector<ProcessView> listProcesses(BusClient& client);

// The same, with only `fields` filled (Manager.ListColumns names, e.g.
// "Uid", "MainPID"; index and group are always there): for views
// that show a few fields of many processes.
std::vector<ProcessView> listProcesses(BusClient& client, const std::vector<std::string>& fields);

// The stable --json form (documented in foreverctl(1)).
nlohmann::json toJson(const ProcessView& p, int64_t nowUs);

int64_t realtimeNowUs();

}  // namespace forever::cli
