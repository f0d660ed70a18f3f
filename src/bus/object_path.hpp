#pragma once
// Names on the bus that foreverd gives and its clients (forever-web) must
// spell the same way: one definition, linked by both.
#include <string>

namespace forever {

// The object path of a process: /org/forever/Forever1/process/<escaped uid>
// (sd_bus_path_encode's escaping, so any uid makes a valid path).
std::string processObjectPath(const std::string& uid);

}  // namespace forever
