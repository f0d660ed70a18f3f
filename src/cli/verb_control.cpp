// The verbs that act on running processes and print whom they touched:
// stop, stopall, restart, restartall, reload, stopbypid.
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

namespace {

int printUids(const std::vector<std::string>& uids, const char* verb, const Output& out) {
    if (out.json) {
        printJson(uids);
        return kExitOk;
    }
    if (uids.empty()) {
        std::cout << "No forever processes running\n";
        return kExitOk;
    }
    for (const auto& uid : uids) {
        std::cout << verb << " " << uid << "\n";
    }
    return kExitOk;
}

// One Manager call on TARGET that answers with the uids it acted on.
template <typename Call>
int onTarget(const Invocation& inv, const Output& out, const char* done, Call call) {
    BusClient client(inv.system);
    const std::string& target = inv.operands.front();
    auto uids = client.call([&](ManagerProxy& m) { return call(m, target); });
    return printUids(uids, done, out);
}

template <typename Call>
int onAll(const Invocation& inv, const Output& out, const char* done, Call call) {
    BusClient client(inv.system);
    auto uids = client.call([&](ManagerProxy& m) { return call(m); });
    return printUids(uids, done, out);
}

}  // namespace

int runStop(const Invocation& inv, const Output& out) {
    return onTarget(inv, out, "stopped",
                    [](ManagerProxy& m, const std::string& t) { return m.Stop(t); });
}

int runRestart(const Invocation& inv, const Output& out) {
    return onTarget(inv, out, "restarted",
                    [](ManagerProxy& m, const std::string& t) { return m.Restart(t); });
}

int runReload(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    if (isGroupName(client, inv.operands.front())) {
        return reloadGroup(inv, out, client, inv.operands.front());
    }
    if (inv.parallel) {
        throw CliError(kExitUsage, "--parallel is for reloading a group");
    }
    return onTarget(inv, out, "reloaded",
                    [](ManagerProxy& m, const std::string& t) { return m.Reload(t); });
}

int runStopAll(const Invocation& inv, const Output& out) {
    return onAll(inv, out, "stopped", [](ManagerProxy& m) { return m.StopAll(); });
}

int runRestartAll(const Invocation& inv, const Output& out) {
    return onAll(inv, out, "restarted", [](ManagerProxy& m) { return m.RestartAll(); });
}

int runStopByPid(const Invocation& inv, const Output& out) {
    // The parser has checked it is a whole number.
    auto pid = static_cast<uint32_t>(std::stoul(inv.operands.front()));
    BusClient client(inv.system);
    auto uid = client.call([&](ManagerProxy& m) { return m.StopByPid(pid); });
    return printUids({uid}, "stopped", out);
}

}  // namespace forever::cli
