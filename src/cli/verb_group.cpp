// The verbs of instance groups: the rolling `reload GROUP` and `scale`.
#include <fmt/format.h>

#include <iostream>

#include "cli/group_roll.hpp"
#include "cli/last_output.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {
constexpr unsigned kFailureLines = 5;  // of the failed member's output
}  // namespace

bool isGroupName(BusClient& client, const std::string& target) {
    bool group = false;
    for (const auto& p : listProcesses(client)) {
        if (p.uid == target) {
            return false;  // never both: foreverd refuses that at start
        }
        group = group || p.group == target;
    }
    return group;
}

int reloadGroup(const Invocation& inv, const Output& out, BusClient& client,
                const std::string& group) {
    json steps = json::array();
    try {
        auto reloaded = rollGroup(
            client, group, inv.parallel ? inv.parallel : 1,
            [&](const std::string& uid, const std::string& step, const std::string& detail) {
                if (out.json) {
                    steps.push_back({{"uid", uid}, {"step", step}, {"detail", detail}});
                    return;
                }
                std::cout << uid << ": " << step << (detail.empty() ? "" : " (" + detail + ")")
                          << std::endl;  // as it happens, also into a pipe
            });
        if (out.json) {
            printJson({{"reloaded", reloaded}, {"steps", steps}});
        }
        return kExitOk;
    } catch (const CliError& e) {
        // Which member failed is in the message ("api-2: why"); its last
        // words usually say the rest.
        std::string message = e.what();
        const std::string uid = failedMember(message);
        for (const auto& p : listProcesses(client)) {
            if (p.uid != uid) {
                continue;
            }
            auto lines = lastOutputLines(p, kFailureLines, inv.system);
            if (!lines.empty()) {
                message += fmt::format("\nlast output of {}:", uid);
                for (const auto& line : lines) {
                    message += "\n  " + line;
                }
            }
        }
        throw CliError(e.exitCode(), message);
    }
}

int runScale(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    const std::string& group = inv.operands[0];
    const std::string& count = inv.operands[1];
    auto [started, stopped] = client.call([&](ManagerProxy& m) { return m.Scale(group, count); });
    if (out.json) {
        printJson({{"started", started}, {"stopped", stopped}});
        return kExitOk;
    }
    for (const auto& uid : started) {
        std::cout << "started " << uid << "\n";
    }
    for (const auto& uid : stopped) {
        std::cout << "stopped " << uid << "\n";
    }
    if (started.empty() && stopped.empty()) {
        std::cout << fmt::format("{} already has that many members\n", group);
    }
    return kExitOk;
}

}  // namespace forever::cli
