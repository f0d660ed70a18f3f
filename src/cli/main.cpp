// foreverctl (and its `forever` alias): parse, call foreverd over D-Bus,
// print. Every failure ends as one line on stderr and a documented exit code.
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/args.hpp"
#include "cli/bus_client.hpp"
#include "cli/completion.hpp"
#include "cli/heap_pages.hpp"
#include "cli/help_text.hpp"
#include "cli/remote_run.hpp"
#include "cli/table.hpp"
#include "cli/user_config.hpp"
#include "cli/verbs.hpp"
#include "config.h"

using namespace forever::cli;

int main(int argc, char** argv) {
    // `foreverctl list | head` must end quietly, not with SIGPIPE noise.
    std::signal(SIGPIPE, SIG_IGN);
    preferHugeHeapPages();
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (!args.empty() && args[0] == "__complete") {
            for (const auto& word : completionWords(args)) {
                std::cout << word << "\n";
            }
            return 0;
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
                               [&](const Output& o) { return runVerb(inv, o); });
        }
        return runVerb(inv, out);
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
