#include "core/log_cleanup.hpp"

#include <algorithm>
#include <set>

#include "core/log_file.hpp"

namespace forever {

namespace fs = std::filesystem;

std::vector<std::string> cleanLogs(const std::vector<LogOwner>& owners,
                                   const std::vector<std::string>& retiredFiles,
                                   const fs::path& defaultLogDir) {
    std::set<std::string> inUse;
    std::set<std::string> candidates;
    for (const auto& owner : owners) {
        for (const auto& f : owner.files) {
            (owner.running ? inUse : candidates).insert(f);
        }
    }
    candidates.insert(retiredFiles.begin(), retiredFiles.end());
    std::set<std::string> known = candidates;
    known.insert(inUse.begin(), inUse.end());

    std::error_code ec;
    if (!defaultLogDir.empty() && fs::is_directory(defaultLogDir, ec)) {
        for (const auto& entry : fs::directory_iterator(defaultLogDir, ec)) {
            if (entry.is_regular_file(ec) && entry.path().extension() == ".log") {
                candidates.insert(entry.path().string());
                known.insert(entry.path().string());
            }
        }
    }
    std::set<std::string> doomed;
    for (const auto& f : candidates) {
        if (!inUse.count(f)) {
            doomed.insert(f);
        }
    }
    for (const auto& f : known) {
        for (const auto& rotated : LogFile::rotatedFiles(f)) {
            doomed.insert(rotated);
        }
    }
    std::vector<std::string> removed;
    for (const auto& f : doomed) {
        if (fs::remove(f, ec)) {
            removed.push_back(f);
        }
    }
    return removed;
}

}  // namespace forever
