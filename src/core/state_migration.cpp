#include "core/state_migration.hpp"

#include <fmt/core.h>

#include <set>

#include "core/state_store.hpp"

namespace forever {

namespace {

std::string keyOf(const nlohmann::json& entry, size_t index, const std::set<std::string>& taken) {
    std::string key;
    if (entry.is_object() && entry.contains("spec") && entry["spec"].is_object()) {
        key = entry["spec"].value("uid", "");
    }
    // Never merge two entries: restoreRecord() reports what it cannot start.
    if (key.empty() || taken.count(key)) {
        key = fmt::format("{}#legacy-{}", key, index);
    }
    return key;
}

std::string renameAside(const std::filesystem::path& file) {
    const auto done = file.string() + ".migrated";
    std::error_code ec;
    std::filesystem::rename(file, done, ec);
    return ec ? fmt::format("{} (rename failed: {})", done, ec.message()) : done;
}

}  // namespace

JournalContents openStateJournal(StateJournal& journal, const std::filesystem::path& dir) {
    StateStore legacy(dir);
    std::error_code ec;
    const bool legacyFound = std::filesystem::exists(legacy.file(), ec);
    std::vector<std::string> problems;
    std::vector<std::string> notices;
    if (legacyFound && journal.exists()) {
        notices.push_back(fmt::format("{} was migrated before; renamed to {}",
                                      legacy.file().string(), renameAside(legacy.file())));
    } else if (legacyFound) {
        auto old = legacy.load();
        if (!old.error.empty()) {
            problems.push_back(old.error);
        } else {
            std::vector<JournalChange> records;
            std::set<std::string> taken;
            for (const auto& entry : old.processes) {
                auto key = keyOf(entry, records.size(), taken);
                taken.insert(key);
                records.push_back({std::move(key), entry.dump()});
            }
            if (auto werr = journal.replaceAll(records)) {
                JournalContents out;
                for (const auto& record : records) {
                    out.records.emplace_back(record.key, nlohmann::json::parse(*record.value));
                }
                out.problems.push_back(fmt::format(
                    "cannot migrate {} to {}: {}; it is kept, and the migration tried again",
                    legacy.file().string(), journal.file().string(), werr.message()));
                return out;
            }
            notices.push_back(
                fmt::format("migrated {} process(es) from {} to {}; the old file is "
                            "kept as {}",
                            records.size(), legacy.file().string(), journal.file().string(),
                            renameAside(legacy.file())));
        }
    }
    auto out = journal.open();
    out.problems.insert(out.problems.begin(), problems.begin(), problems.end());
    out.notices.insert(out.notices.begin(), notices.begin(), notices.end());
    return out;
}

}  // namespace forever
