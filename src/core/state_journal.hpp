#pragma once
// The saved process table as an append-only journal, so a change costs the
// size of one record, not a rewrite of the table (issue 19). One file,
// state.journal, of lines "<crc32 hex> <json>\n":
//   {"journal":"forever-state","version":1}   the header, first line
//   {"k":"<key>","v":<value>}                   the record of key replaced
//   {"k":"<key>","d":1}                         the record of key erased
//   {"c":<n>}                                   commits the n lines before it
// A batch is its records then one commit line, written with one write() and
// made durable with one fdatasync(): after a crash a batch is all there or
// not at all (an uncommitted tail is a batch cut short, and is cut off). A
// line whose checksum fails before the last commit is corruption, not a
// crash: it is reported and the file kept aside, never silently dropped.
// When the file grows past twice its live records it is rewritten with only
// those (tmp + fsync + rename + directory fsync), so its size stays O(live).
// Not thread-safe: one owner at a time (the StateWriter's thread).
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/unique_fd.hpp"

namespace forever {

// One change to the table: the record of `key` replaced by `value` (JSON
// text, written as is), or erased when there is no value.
struct JournalChange {
    std::string key;
    std::optional<std::string> value;
};

struct JournalContents {
    // The live records, in the order their keys were first written.
    std::vector<std::pair<std::string, nlohmann::json>> records;
    std::vector<std::string> problems;  // corruption, files kept aside: errors
    std::vector<std::string> notices;   // a crash's torn tail cut off, a migration
};

class StateJournal {
  public:
    explicit StateJournal(std::filesystem::path dir);
    StateJournal(StateJournal&&) = default;

    const std::filesystem::path& file() const { return file_; }
    bool exists() const;

    // Reads the journal, cuts off a torn tail, and keeps a corrupt file
    // aside (rewriting it with what was readable). Call once, first.
    JournalContents open();
    // Appends one batch (one write, one fdatasync). The records count as
    // live even when this fails; the next append or compact() then rewrites
    // the whole file, since a failed write may have left half a line.
    std::error_code append(const std::vector<JournalChange>& batch);
    // Rewrites the file with only the live records; also how a failed
    // append is repaired.
    std::error_code compact();
    // Replaces every record (a migration): written as one compacted file.
    std::error_code replaceAll(const std::vector<JournalChange>& records);

    bool needsRepair() const { return broken_; }
    uint64_t fileBytes() const { return fileBytes_; }
    uint64_t liveBytes() const { return liveBytes_; }
    size_t liveRecords() const { return live_.size(); }
    // Compaction starts only past this size, so a small table is not
    // rewritten over and over.
    static constexpr uint64_t kMinCompactBytes = 64 * 1024;

  private:
    // A live record is where its line is in file_, not the line: records
    // hold an app's environment (kilobytes), and a foreverd of 10 000 apps
    // would otherwise keep a copy of the whole file in memory. The line is
    // read back (and its checksum checked) only when a compaction copies it.
    struct Live {
        uint64_t order = 0;   // first written: the order the table is restored in
        uint64_t offset = 0;  // of the line in file_, when it is durably there
        uint32_t length = 0;  // of the line, its '\n' included
        uint32_t crc = 0;     // of its body: what is read back must match it
        // The line itself, only while it is not durably in file_ (its append
        // failed): the next compaction writes it from here.
        std::optional<std::string> text;
    };
    // Makes `line` the record of `key` (none: erases it); its order is kept
    // if the key is live, the next one otherwise.
    void apply(const std::string& key, std::optional<Live> line);
    std::error_code openForAppend();

    std::filesystem::path dir_;
    std::filesystem::path file_;
    std::unordered_map<std::string, Live> live_;
    uint64_t nextOrder_ = 0;
    uint64_t liveBytes_ = 0;
    uint64_t fileBytes_ = 0;
    bool broken_ = false;
    UniqueFd fd_;
};

}  // namespace forever
