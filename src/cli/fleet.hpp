#pragma once
// One action, many hosts (`-H a -H b`, `--hosts FILE`). Each host runs on
// its own thread with its own connection; a host's output is printed as
// soon as that host has answered, so a slow host delays only its own rows,
// and a host that fails is one line on stderr while the others print.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/bus_client.hpp"

namespace forever::cli {

enum class FleetLayout {
    kLines,  // every line as "HOST: line" (stop, restart, status…)
    kTable,  // a table whose first line is its header: a HOST column, one header
    kPlain,  // --plain table: "HOST line", no header
    kJson,   // every host's JSON merged into one array, each object with "host"
};

// Runs `action` once per host, on a thread whose BusClients reach that
// host (ScopedBusTarget) and whose std::cout is captured. Returns 0 when
// every host succeeded, else the exit code of the first failed host (in
// the order given). `out`/`err` receive the merged output.
int runOnHosts(const std::vector<BusTarget>& hosts, const std::function<int()>& action,
               FleetLayout layout, std::ostream& out, std::ostream& err);

// The pieces of runOnHosts' output, pure for unit tests.
// One host's captured text in a layout (`first`: no block printed yet).
std::string fleetBlock(const std::string& text, const std::string& label, size_t labelWidth,
                       FleetLayout layout, bool first);
// One host's JSON output with "host" set on each object ("value" wraps others).
std::vector<std::string> hostJsonItems(const std::string& text, const std::string& label);

}  // namespace forever::cli
