#pragma once

#include <string>

#include "core/supervisor.hpp"

namespace forever {

// Lifecycle events as structured journal entries (FOREVER_UID=,
// FOREVER_EVENT=, ...), so `journalctl FOREVER_UID=my-app` tells an app's
// whole story next to its own output. Without journald they go to stderr.
class JournalEvents {
  public:
    explicit JournalEvents(bool journal) : journal_(journal) {}
    void record(const SupervisorEvent& event);
    // An entry about `process` that is not a SupervisorEvent, e.g. why it is
    // being restarted (FOREVER_EVENT=event, FOREVER_REASON=reason).
    void note(const Process& process, const char* event, int priority, const std::string& message,
              const std::string& reason);
    // Something about the daemon itself (not one process).
    void daemonMessage(int priority, const std::string& message);

  private:
    bool journal_;
};

}  // namespace forever
