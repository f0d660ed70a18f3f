#pragma once
// Opens the state journal, bringing in the processes.json that a foreverd
// from before the journal saved its whole table in, on the first start.
#include <filesystem>

#include "core/state_journal.hpp"

namespace forever {

// The journal of `dir` opened (see StateJournal::open). When there is no
// journal yet, processes.json is imported as one compacted journal and
// then renamed to processes.json.migrated (said in `notices`); a left-over
// processes.json beside an existing journal (a crash between the two) is
// renamed the same way. An unreadable processes.json is kept aside and
// reported, as before. When the import cannot be written, its records are
// still returned (and kept live for the writer to retry), and
// processes.json stays for the next start.
JournalContents openStateJournal(StateJournal& journal, const std::filesystem::path& dir);

}  // namespace forever
