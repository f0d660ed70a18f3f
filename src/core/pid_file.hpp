#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "core/event_loop.hpp"

namespace forever {

// --pidFile files, written and removed by EventLoop::runBlocking work, not
// on the loop: the file may sit on a slow or hung filesystem like any log.
// Per path, one job at a time, and only the latest wish waits behind it
// (a restart's remove-then-write collapses to the write), so the file ends
// as the last call asked, whatever the order the workers ran in.
class PidFiles {
  public:
    // Failures are said with the path; by default on stderr (the journal,
    // under systemd), as the daemon's own messages are.
    using ErrorHandler = std::function<void(const std::string& message)>;
    explicit PidFiles(EventLoop& loop, ErrorHandler onError = nullptr);

    // Creates the directory, then writes "<pid>\n" over the file.
    void write(const std::string& path, pid_t pid);
    void remove(const std::string& path);
    // Paths with work in flight.
    size_t busy() const { return lanes_.size(); }

  private:
    struct Lane {
        EventLoop::HandlePtr job;
        bool hasNext = false;
        pid_t next = 0;  // 0: remove
    };
    void want(const std::string& path, pid_t pid);
    void submit(const std::string& path, Lane& lane, pid_t pid);

    EventLoop& loop_;
    ErrorHandler onError_;
    std::map<std::string, Lane> lanes_;
};

}  // namespace forever
