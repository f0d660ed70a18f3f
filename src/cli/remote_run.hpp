#pragma once
// -H/--host, --hosts FILE and --machine: which bus (or buses) an action
// talks to, and how its output is shown when there are several.
#include <functional>
#include <string>
#include <vector>

#include "cli/bus_client.hpp"
#include "cli/output.hpp"
#include "cli/remote_address.hpp"

namespace forever::cli {

struct RemoteOptions {
    std::vector<std::string> hosts;  // -H, in order
    std::string hostsFile;           // --hosts
    std::string machine;             // --machine
    bool any() const { return !hosts.empty() || !hostsFile.empty() || !machine.empty(); }
};

// ssh's program ($FOREVER_SSH, else "ssh") and the connect timeout.
SshSettings sshSettingsFromEnvironment();

// One BusTarget per host (the hosts file read here), or the machine's.
// Throws UsageError for a bad host, CliError for an unreadable file.
std::vector<BusTarget> remoteTargets(const RemoteOptions& options, bool systemBus);

// Runs `action` against the targets: one host exactly as locally (its
// errors name the host), several through the fleet runner.
int runRemotely(const std::vector<BusTarget>& targets, const std::string& action, const Output& out,
                const std::function<int(const Output&)>& run);

// For `logs TARGET` on a -H host: its output read over ssh (remote_logs).
// Returns false when the thread's bus is local, so the caller reads it here.
bool remoteLogsTarget(HostSpec& host);

}  // namespace forever::cli
