#include "cli/journal_reader.hpp"

#include <fmt/format.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstring>
#include <deque>

namespace forever::cli {

namespace {

std::string field(sd_journal* j, const char* name) {
    const void* data = nullptr;
    size_t length = 0;
    if (sd_journal_get_data(j, name, &data, &length) < 0) {
        return {};
    }
    size_t prefix = std::strlen(name) + 1;  // "NAME="
    if (length < prefix) {
        return {};
    }
    return std::string(static_cast<const char*>(data) + prefix, length - prefix);
}

}  // namespace

JournalLine journalEntry(sd_journal* j) {
    JournalLine line;
    sd_journal_get_realtime_usec(j, &line.realtimeUs);
    std::string priority = field(j, "PRIORITY");
    line.priority = priority.empty() ? 6 : std::atoi(priority.c_str());
    line.identifier = field(j, "SYSLOG_IDENTIFIER");
    line.pid = field(j, "_PID");
    line.message = field(j, "MESSAGE");
    line.lifecycle = !field(j, "FOREVER_EVENT").empty();
    return line;
}

bool addJournalMatches(sd_journal* j, const JournalQuery& q) {
    std::string uidMatch = fmt::format("_UID={}", ::getuid());
    auto add = [&](const std::string& m) {
        return sd_journal_add_match(j, m.data(), m.size()) >= 0;
    };
    // For each uid: (SYSLOG_IDENTIFIER=uid AND _UID=me) OR (FOREVER_UID=uid
    // AND _UID=me), all OR'ed.
    bool ok = true;
    bool first = true;
    std::vector<std::string> uids{q.uid};
    uids.insert(uids.end(), q.moreUids.begin(), q.moreUids.end());
    for (const auto& uid : uids) {
        for (const char* field : {"SYSLOG_IDENTIFIER=", "FOREVER_UID="}) {
            if (!first) {
                ok = ok && sd_journal_add_disjunction(j) >= 0;
            }
            first = false;
            ok = ok && add(field + uid);
            if (q.sameUserOnly) {
                ok = ok && add(uidMatch);
            }
        }
    }
    return ok;
}

bool readJournal(const JournalQuery& q, const std::function<bool(const JournalLine&)>& emit,
                 std::string& error) {
    sd_journal* j = nullptr;
    int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
    if (r < 0) {
        error = fmt::format("cannot open the journal: {}", std::strerror(-r));
        return false;
    }
    struct Closer {
        sd_journal* j;
        ~Closer() { sd_journal_close(j); }
    } closer{j};
    if (!addJournalMatches(j, q)) {
        error = "cannot filter the journal";
        return false;
    }
    // The last N entries: walk back from the tail, then print forward.
    sd_journal_seek_tail(j);
    std::deque<JournalLine> last;
    while (last.size() < q.lines && sd_journal_previous(j) > 0) {
        last.push_front(journalEntry(j));
    }
    for (const auto& line : last) {
        if (!emit(line)) {
            return true;
        }
    }
    if (!q.follow) {
        return true;
    }
    // Position after the newest entry, whether or not any were shown.
    sd_journal_seek_tail(j);
    sd_journal_previous(j);
    for (;;) {
        r = sd_journal_next(j);
        if (r < 0) {
            error = fmt::format("reading the journal: {}", std::strerror(-r));
            return false;
        }
        if (r == 0) {
            r = sd_journal_wait(j, static_cast<uint64_t>(-1));
            if (r < 0) {
                error = fmt::format("waiting on the journal: {}", std::strerror(-r));
                return false;
            }
            continue;
        }
        if (!emit(journalEntry(j))) {
            return true;
        }
    }
}

}  // namespace forever::cli
