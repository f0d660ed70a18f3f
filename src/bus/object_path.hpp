#pragma once
// Names on the bus that foreverd gives and its clients (forever-web) must
// spell the same way: one definition, linked by both.
#include <optional>
#include <string>

namespace forever {

// The object path of a process: /org/forever/Forever1/process/<escaped uid>
// (sd_bus_path_encode's escaping, so any uid makes a valid path).
std::string processObjectPath(const std::string& uid);
// The parent of every process object.
inline constexpr const char* kProcessPathPrefix = "/org/forever/Forever1/process";
// The uid processObjectPath() made `path` from; nothing for any other path.
std::optional<std::string> processUidOfPath(const char* path);

}  // namespace forever
