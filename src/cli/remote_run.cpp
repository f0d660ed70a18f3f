#include "cli/remote_run.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/fleet.hpp"
#include "cli/usage_error.hpp"

namespace forever::cli {

SshSettings sshSettingsFromEnvironment() {
    SshSettings ssh;
    if (const char* program = std::getenv("FOREVER_SSH"); program && *program) {
        ssh.program = program;
    }
    return ssh;
}

std::vector<BusTarget> remoteTargets(const RemoteOptions& options, bool systemBus) {
    std::vector<BusTarget> targets;
    try {
        if (!options.machine.empty()) {
            if (!options.hosts.empty() || !options.hostsFile.empty()) {
                throw UsageError("--machine cannot be combined with -H or --hosts");
            }
            targets.push_back(BusTarget{systemBus, machineBusAddress(options.machine, systemBus),
                                        options.machine, ""});
            return targets;
        }
        std::vector<HostSpec> hosts;
        for (const auto& h : options.hosts) {
            hosts.push_back(parseHostSpec(h));
        }
        if (!options.hostsFile.empty()) {
            std::ifstream file(options.hostsFile);
            if (!file) {
                throw CliError(kExitFailure,
                               fmt::format("--hosts {}: cannot read it", options.hostsFile));
            }
            std::stringstream text;
            text << file.rdbuf();
            try {
                for (auto& h : parseHostList(text.str())) {
                    hosts.push_back(std::move(h));
                }
            } catch (const BadHostSpec& e) {
                throw UsageError(fmt::format("--hosts {}: {}", options.hostsFile, e.what()));
            }
            if (hosts.empty()) {
                throw UsageError(fmt::format("--hosts {}: no host in it", options.hostsFile));
            }
        }
        const SshSettings ssh = sshSettingsFromEnvironment();
        for (const auto& h : hosts) {
            targets.push_back(
                BusTarget{systemBus, remoteBusAddress(h, systemBus, ssh), h.label(), h.label()});
        }
    } catch (const BadHostSpec& e) {
        throw UsageError(e.what());
    }
    return targets;
}

int runRemotely(const std::vector<BusTarget>& targets, const std::string& action, const Output& out,
                const std::function<int(const Output&)>& run) {
    if (targets.size() == 1) {
        ScopedBusTarget scoped(targets.front());
        return run(out);
    }
    if (action == "monit" || action == "logs") {
        throw UsageError(fmt::format("{} takes one host (-H once)", action));
    }
    FleetLayout layout = out.json                             ? FleetLayout::kJson
                         : action == "list" && out.plain      ? FleetLayout::kPlain
                         : action == "list" || action == "ls" ? FleetLayout::kTable
                                                              : FleetLayout::kLines;
    Output perHost = out;
    size_t labelWidth = 4;
    for (const auto& t : targets) {
        labelWidth = std::max(labelWidth, t.label.size());
    }
    // The HOST column takes room from the terminal's width.
    perHost.width = out.width > labelWidth + 2 + 20 ? out.width - labelWidth - 2 : out.width;
    return runOnHosts(
        targets, [&] { return run(perHost); }, layout, std::cout, std::cerr);
}

bool remoteLogsTarget(HostSpec& host) {
    const BusTarget* target = scopedBusTarget();
    if (!target || target->address.empty()) {
        return false;
    }
    if (target->sshHost.empty()) {
        throw CliError(kExitFailure,
                       fmt::format("logs of a container are read on this machine: journalctl "
                                   "-M {} -t UID",
                                   target->label));
    }
    host = parseHostSpec(target->sshHost);
    return true;
}

}  // namespace forever::cli
