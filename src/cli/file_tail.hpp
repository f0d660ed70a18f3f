#pragma once

#include <functional>
#include <string>

namespace forever::cli {

// `tail -n N [-F]` for an app's log file: the last N lines, then, when
// following, new lines as they are written, across rotations (the file is
// reopened when it is renamed away or truncated). `emit` returning false
// stops. Returns false with `error` set if the file cannot be read.
bool tailFile(const std::string& path, unsigned lines, bool follow,
              const std::function<bool(const std::string& line)>& emit, std::string& error);

}  // namespace forever::cli
