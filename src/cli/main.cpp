// foreverctl (and its `forever` alias): parse, call foreverd over D-Bus,
// print. Every failure ends as one line on stderr and a documented exit code.
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/args.hpp"
#include "cli/bus_client.hpp"
#include "cli/commands.hpp"
#include "cli/process_view.hpp"
#include "cli/remote_run.hpp"
#include "cli/table.hpp"
#include "cli/user_config.hpp"
#include "config.h"

using namespace forever::cli;

namespace {

// `foreverctl __complete actions|options [ACTION]|targets`: the words shell
// completions offer, from the same tables the parser uses (and, for
// targets, from the daemon), so completions never drift from the program.
int complete(const std::vector<std::string>& args) {
    const std::string what = args.size() > 1 ? args[1] : "";
    if (what == "actions") {
        for (const auto& a : actionTable()) {
            std::cout << a.name << "\n";
        }
    } else if (what == "options") {
        const std::string action = args.size() > 2 ? args[2] : "";
        for (const auto& o : optionTable()) {
            bool applies = o.actions.empty() ||
                           std::find(o.actions.begin(), o.actions.end(), action) != o.actions.end();
            if (applies) {
                std::cout << o.longName << "\n";
                if (!o.shortName.empty()) {
                    std::cout << o.shortName << "\n";
                }
            }
        }
    } else if (what == "targets") {
        try {
            BusClient client(false);
            for (const auto& p : listProcesses(client)) {
                std::cout << p.uid << "\n";
            }
        } catch (const std::exception&) {
            // No daemon: nothing to offer, and nothing to print on a prompt.
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // `foreverctl list | head` must end quietly, not with SIGPIPE noise.
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (!args.empty() && args[0] == "__complete") {
            return complete(args);
        }
        Invocation inv = parseArgs(args);
        if (inv.version) {
            std::cout << "foreverctl " << FOREVER_VERSION << "\n";
            return 0;
        }
        if (inv.help) {
            std::cout << helpText(inv.action);
            return 0;
        }
        // Settings from `foreverctl set`; command-line flags win.
        const auto settings = loadUserConfig(userConfigPath());
        const std::string colorSetting = settings.value("color", "auto");
        if (colorSetting == "always" && !inv.noColor && !inv.plain) {
            inv.forceColor = true;
        } else if (colorSetting == "never" && !inv.forceColor) {
            inv.noColor = true;
        }
        if (!inv.linesGiven && settings.contains("lines") &&
            settings["lines"].is_number_unsigned()) {
            inv.lines = settings["lines"].get<unsigned>();
        }
        Output out;
        out.json = inv.json;
        out.plain = inv.plain;
        out.color = useColor(isatty(STDOUT_FILENO), std::getenv("NO_COLOR") != nullptr, inv.plain,
                             inv.noColor, inv.forceColor);
        struct winsize ws {};
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
            out.width = ws.ws_col;
        }
        RemoteOptions remote{inv.hosts, inv.hostsFile, inv.machine};
        if (remote.any()) {
            return runRemotely(remoteTargets(remote, inv.system), inv.action, out,
                               [&](const Output& o) { return runAction(inv, o); });
        }
        return runAction(inv, out);
    } catch (const UsageError& e) {
        std::cerr << "foreverctl: " << e.what() << "\n";
        return kExitUsage;
    } catch (const CliError& e) {
        std::cerr << "foreverctl: " << e.what() << "\n";
        return e.exitCode();
    } catch (const sdbus::Error& e) {
        std::cerr << "foreverctl: " << e.getName() << ": " << e.getMessage() << "\n";
        return kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "foreverctl: " << e.what() << "\n";
        return kExitFailure;
    }
}
