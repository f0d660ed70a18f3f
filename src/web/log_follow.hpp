#pragma once
// `GET /api/processes/UID/logs?follow=1`: new lines of an app's log as
// Server-Sent Events on the channel "logs:UID". One watcher per followed
// app, however many viewers, fed by the loop (never a blocking wait): the
// journal's own fd (sd_journal_get_fd / sd_journal_process), or an
// inotify watch on the log file's directory, which also sees a rotated
// file replaced. The watcher goes when its last viewer does.
#include <systemd/sd-event.h>

#include <map>
#include <memory>
#include <string>

#include "cli/process_view.hpp"

namespace forever::web {

class EventStreams;

class LogFollow {
  public:
    LogFollow(sd_event* event, EventStreams& streams);
    ~LogFollow();
    LogFollow(const LogFollow&) = delete;
    LogFollow& operator=(const LogFollow&) = delete;

    static std::string channel(const std::string& uid) { return "logs:" + uid; }
    // Starts watching `process`'s log (file or journal) from its end, unless
    // it is already watched. Throws std::runtime_error when it cannot.
    void watch(const cli::ProcessView& process);
    size_t watched() const { return watchers_.size(); }

    struct Watcher;

  private:
    sd_event* event_;
    EventStreams& streams_;
    std::map<std::string, std::unique_ptr<Watcher>> watchers_;  // by channel
};

}  // namespace forever::web
