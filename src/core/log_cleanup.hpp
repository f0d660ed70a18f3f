#pragma once
// What `foreverctl cleanlogs` deletes, decided in one place: every rotated
// file (path.N); the current files of processes that are not running
// (exited, failed, or stopped and removed since foreverd started); and, in
// the default log directory (forever's ~/.forever), any *.log file no
// running process writes. A file a running process writes is never deleted,
// even when a stopped one shares its path.
#include <filesystem>
#include <string>
#include <vector>

namespace forever {

struct LogOwner {
    std::vector<std::string> files;  // current files (absolute)
    bool running = false;
};

// Deletes and returns the deleted paths, sorted.
std::vector<std::string> cleanLogs(const std::vector<LogOwner>& owners,
                                   const std::vector<std::string>& retiredFiles,
                                   const std::filesystem::path& defaultLogDir);

}  // namespace forever
