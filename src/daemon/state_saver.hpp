#pragma once

#include <functional>
#include <string>
#include <system_error>

#include "core/event_loop.hpp"
#include "core/state_store.hpp"

namespace forever {

// When the process table goes to disk. Coalesced to one save per loop
// iteration however many changes it saw, and never less often: the saved
// pids are what lets the successor of a kill -9'd foreverd stop the old
// runs, so they must be on disk at once. A failed save (disk full,
// read-only) is said once and retried every 5 s until it works (the last
// good file stays in place meanwhile), and its recovery is said too.
class StateSaver {
  public:
    struct Hooks {
        // The table as StateStore::saveRendered takes it.
        std::function<std::string()> render;
        // Runs before each save, after the loop iteration's events (the
        // daemon's STATUS= line is counted there).
        std::function<void()> beforeSave;
        // A failed save, or the first good one after failures.
        std::function<void(int priority, const std::string& message)> say;
    };

    StateSaver(EventLoop& loop, StateStore& store, std::string where, Hooks hooks);

    // Something in the table changed: save at the end of this iteration.
    void changed();
    // Saves now (and drops a pending save).
    void saveNow();
    // Saves now if a save is pending.
    void flush();
    // foreverd is stopping: no more hooks.beforeSave, no more retries (the
    // table is saved as it was when the stop began, and once at the end).
    void halting() { halting_ = true; }

  private:
    EventLoop& loop_;
    StateStore& store_;
    std::string where_;
    Hooks hooks_;
    EventLoop::HandlePtr pending_;
    EventLoop::HandlePtr retry_;
    std::error_code lastError_;
    bool halting_ = false;
};

}  // namespace forever
