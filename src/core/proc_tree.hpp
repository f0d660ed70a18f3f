#pragma once
// Reading the process tree from /proc. The root is injectable so tests can
// feed a fabricated tree; the daemon always uses "/proc".
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forever {

struct ProcStat {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgid = 0;
    char state = '?';
    uint64_t utimeTicks = 0;
    uint64_t stimeTicks = 0;
    uint64_t reapedChildrenTicks = 0;  // cutime+cstime: children it waited for
    uint64_t startTimeTicks = 0;       // since boot; with pid, identifies one process
    uint64_t rssPages = 0;
    unsigned threads = 0;
};

// Parses the text of /proc/PID/stat; the command name may hold spaces and
// parentheses, so fields are read after the last ')'.
std::optional<ProcStat> parseStat(const std::string& text);

// The whole of a small /proc file, or nullopt (gone, no permission).
std::optional<std::string> readProcFile(const std::filesystem::path& path);

std::optional<ProcStat> readStat(pid_t pid, const std::filesystem::path& proc = "/proc");

// Every live process, as read from the stat files.
std::vector<ProcStat> allProcesses(const std::filesystem::path& proc = "/proc");

// Transitive children of `root` (not including it), parents before children.
std::vector<pid_t> descendants(pid_t root, const std::filesystem::path& proc = "/proc");
std::vector<pid_t> descendantsIn(pid_t root, const std::vector<ProcStat>& table);

// Descendants of `root` whose environment holds `entry` ("FOREVER_UID=web")
// and not `unless`: how an app's strays are found after they left its
// process group and lost their parent.
std::vector<pid_t> descendantsCarrying(pid_t root, const std::string& entry,
                                       const std::string& unless = {},
                                       const std::filesystem::path& proc = "/proc");

// Every process (that we may read) whose environment holds `entry`.
std::vector<ProcStat> processesCarrying(const std::string& entry,
                                        const std::filesystem::path& proc = "/proc");

std::vector<pid_t> processGroupMembers(pid_t pgid, const std::filesystem::path& proc = "/proc");

}  // namespace forever
