#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "core/event_loop.hpp"
#include "core/state_journal.hpp"
#include "core/state_writer.hpp"

namespace forever {

// When the process table goes to disk, and what of it: the records of the
// processes that changed in one loop iteration (however many changes each
// saw) go to the state journal as one batch, written off the loop by the
// StateWriter, so a change costs its own record, never the table. Never
// less often than once per iteration: the saved pids are what lets the
// successor of a kill -9'd foreverd stop the old runs. A failed write (disk
// full, read-only) is said once, retried by the writer every 5 s (the
// records stay live in memory), and its recovery is said too.
class StateSaver {
  public:
    struct Hooks {
        // The record of the process `uid` (Supervisor::renderedRecord), or
        // nothing when it has left the table (its record is erased).
        std::function<std::optional<std::string>(const std::string& uid)> render;
        // Runs before each batch, after the loop iteration's events (the
        // daemon's STATUS= line is counted there).
        std::function<void()> beforeSave;
        // A failed write, or the first good one after failures.
        std::function<void(int priority, const std::string& message)> say;
    };
    // Runs on the loop once the changes made before whenSaved() are on disk
    // (or their write failed: then `error` is set).
    using Saved = std::function<void(std::error_code error)>;

    // `journal` is open()ed (openStateJournal) already.
    StateSaver(EventLoop& loop, StateJournal journal, std::string where, Hooks hooks);
    ~StateSaver();

    // The process `uid` changed, entered or left the table: its record is
    // written at the end of this iteration.
    void changed(const std::string& uid);
    // `done` runs once every change told so far is durable.
    void whenSaved(Saved done);
    // Changes not yet durable, or callers waiting for them to be.
    bool unsettled() const { return !dirty_.empty() || !waiters_.empty(); }
    // Submits the pending changes now.
    void flush();
    // foreverd is stopping: no more hooks.beforeSave (the table is saved as
    // it was when the stop began).
    void halting() { halting_ = true; }
    // Submits what is pending and waits (blocking) until it is on disk:
    // only for the exit.
    void drain();

  private:
    void submit();
    void onSettled(uint64_t upTo, std::error_code error);

    EventLoop& loop_;
    std::string where_;
    Hooks hooks_;
    EventLoop::HandlePtr pending_;
    std::vector<std::string> dirtyOrder_;
    std::unordered_set<std::string> dirty_;
    std::multimap<uint64_t, Saved> waiters_;  // by the batch that makes them durable
    uint64_t settledUpTo_ = 0;
    std::error_code lastError_;
    bool halting_ = false;
    std::unique_ptr<StateWriter> writer_;  // last: its thread stops first
};

}  // namespace forever
