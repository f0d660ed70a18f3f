#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/process_list.hpp"
#include "cli/table.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

// A live `list` (PM2's monit): redrawn every second until q or Ctrl-C.
int runMonit(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    const bool tty = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
    struct termios saved {};
    if (tty) {
        ::tcgetattr(STDIN_FILENO, &saved);
        struct termios raw = saved;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        std::cout << "\x1b[?25l";  // hide the cursor while redrawing
    }
    auto restore = [&] {
        if (tty) {
            ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
            std::cout << "\x1b[?25h" << std::flush;
        }
    };
    try {
        for (;;) {
            const auto columns = listColumns();
            auto all = listProcesses(client, fieldsShownBy(columns));
            std::string frame = tty ? "\x1b[H\x1b[2J" : "";
            char stamp[32];
            time_t t = ::time(nullptr);
            struct tm tm {};
            localtime_r(&t, &tm);
            std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
            frame += paint(fmt::format("forever monit  {}  {} processes  (q to quit)", stamp,
                                       all.size()),
                           "\x1b[1m", out.color) +
                     "\n\n";
            frame += all.empty() ? "No forever processes running\n" : renderList(all, columns, out);
            std::cout << frame << std::flush;
            if (!tty) {
                break;  // a pipe gets one frame
            }
            struct pollfd pfd {
                STDIN_FILENO, POLLIN, 0
            };
            if (::poll(&pfd, 1, 1000) > 0) {
                char c = 0;
                if (::read(STDIN_FILENO, &c, 1) <= 0 || c == 'q' || c == 'Q' || c == 3) {
                    break;
                }
            }
        }
    } catch (...) {
        restore();
        throw;
    }
    restore();
    return kExitOk;
}

}  // namespace forever::cli
