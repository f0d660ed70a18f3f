#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/process.hpp"
#include "core/supervisor_error.hpp"

namespace forever {

class LogSink;
class ProcessTable;

// The log files of every process: one writer per path however many runs
// or instances share it, which files a process writes, the files of
// removed processes (for cleanlogs), and the hourly pruning of old
// rotated files.
class LogFiles {
  public:
    LogFiles(EventLoop& loop, const SupervisorOptions& options);

    // The writer of `path` for `p` (shared when already open). It is opened
    // off the loop; a failure reaches the journal as a LogError.
    std::shared_ptr<LogSink> open(const std::string& path, const Process& p);
    // The files a process's output is written to (its -l/-o/-e files, or
    // the per-uid default file when there is no journald); empty when its
    // output goes to the journal.
    std::vector<std::string> pathsOf(const Process& p) const;
    // forever's default file when there is no journald: one per uid.
    std::string defaultPathOf(const ProcessSpec& spec) const;
    // `p` leaves the table: its files become candidates for cleanlogs.
    void retire(const Process& p);
    // `foreverctl cleanlogs`: see log_cleanup.hpp. Returns what was deleted.
    std::vector<std::string> clean(const ProcessTable& table);
    // Deletes rotated files older than each file's maxAge.
    void prune();

  private:
    EventLoop& loop_;
    const SupervisorOptions& options_;
    std::map<std::string, std::weak_ptr<LogSink>> open_;  // one writer per path
    std::vector<std::string> retired_;  // files of removed processes, for cleanlogs
    EventLoop::HandlePtr pruneTimer_;
};

}  // namespace forever
