#include "cli/last_output.hpp"

#include <deque>

#include "cli/file_tail.hpp"
#include "cli/journal_reader.hpp"

namespace forever::cli {

std::vector<std::string> lastOutputLines(const ProcessView& p, unsigned lines, bool systemBus) {
    std::vector<std::string> out;
    std::string error;
    // Its stderr first: a crash says why there.
    std::string file = !p.logFile.empty() ? p.logFile : !p.errFile.empty() ? p.errFile : p.outFile;
    if (!file.empty()) {
        tailFile(
            file, lines, false,
            [&](const std::string& line) {
                out.push_back(line);
                return true;
            },
            error);
        return out;
    }
    JournalQuery query;
    query.uid = p.uid;
    // Room for foreverd's own entries, which are left out.
    query.lines = lines * 4;
    query.sameUserOnly = !systemBus;
    std::deque<std::string> kept;
    readJournal(
        query,
        [&](const JournalLine& line) {
            if (!line.lifecycle) {
                kept.push_back(line.message);
                if (kept.size() > lines) {
                    kept.pop_front();
                }
            }
            return true;
        },
        error);
    return {kept.begin(), kept.end()};
}

}  // namespace forever::cli
