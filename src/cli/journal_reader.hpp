#pragma once

#include <systemd/sd-journal.h>

#include <functional>
#include <string>
#include <vector>

namespace forever::cli {

// One entry of an app's story: its output lines (SYSLOG_IDENTIFIER=uid) and
// foreverd's lifecycle entries about it (FOREVER_UID=uid).
struct JournalLine {
    uint64_t realtimeUs = 0;
    int priority = 6;
    std::string identifier;
    std::string pid;
    std::string message;
    bool lifecycle = false;  // written by foreverd, not by the app
};

struct JournalQuery {
    std::string uid;
    // More apps whose stories are interleaved with uid's (`logs GROUP`).
    std::vector<std::string> moreUids;
    unsigned lines = 10;  // the last N, then follow if asked
    bool follow = false;
    bool sameUserOnly = true;  // only entries written by our uid (session mode)
};

// The pieces readJournal is made of, for a reader that waits on the
// journal's fd in its own event loop (forever-web's follow) instead of
// blocking in sd_journal_wait.
// Restricts `j` to the entries of q.uid (and of our user if q.sameUserOnly).
bool addJournalMatches(sd_journal* j, const JournalQuery& q);
// The entry `j` points at.
JournalLine journalEntry(sd_journal* j);

// Reads with sd-journal (no journalctl subprocess). Returns false with
// `error` set when no journal can be opened. `emit` returning false stops.
bool readJournal(const JournalQuery& query, const std::function<bool(const JournalLine&)>& emit,
                 std::string& error);

}  // namespace forever::cli
