#include "core/state_journal.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/crc32.hpp"
#include "testing/file_size_limit.hpp"
#include "testing/temp_dir.hpp"

using forever::JournalChange;
using forever::StateJournal;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
using forever::test::TempDir;

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

JournalChange put(const std::string& key, const json& value) {
    return {key, value.dump()};
}

JournalChange erase(const std::string& key) {
    return {key, std::nullopt};
}

// What a fresh foreverd would restore from the file.
std::vector<std::pair<std::string, json>> reopen(const fs::path& dir) {
    StateJournal again(dir);
    auto contents = again.open();
    CHECK(contents.problems.empty());
    return contents.records;
}

std::vector<std::string> filesStartingWith(const fs::path& dir, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().rfind(prefix, 0) == 0) {
            out.push_back(e.path().string());
        }
    }
    return out;
}

using Records = std::vector<std::pair<std::string, json>>;
}  // namespace

TEST_CASE("crc32 is the usual one") {
    CHECK(forever::crc32("123456789") == 0xCBF43926u);
    CHECK(forever::crc32("") == 0u);
}

TEST_CASE("records round-trip in first-written order, replaced and erased") {
    TempDir tmp;
    const auto dir = tmp.path / "state";
    StateJournal journal(dir);
    CHECK_FALSE(journal.exists());
    auto first = journal.open();
    CHECK(first.records.empty());
    CHECK(first.problems.empty());
    CHECK(journal.exists());
    CHECK((fs::status(dir).permissions() & fs::perms::all) == fs::perms::owner_all);

    REQUIRE_FALSE(journal.append({put("a", {{"n", 1}}), put("b", {{"n", 2}})}));
    REQUIRE_FALSE(journal.append({put("c", {{"n", 3}}), erase("b"), put("a", {{"n", 4}})}));
    CHECK(journal.liveRecords() == 2);
    CHECK(reopen(dir) == Records{{"a", {{"n", 4}}}, {"c", {{"n", 3}}}});
    // A key written again after its erasure goes to the end.
    REQUIRE_FALSE(journal.append({put("b", {{"n", 5}})}));
    CHECK(reopen(dir) == Records{{"a", {{"n", 4}}}, {"c", {{"n", 3}}}, {"b", {{"n", 5}}}});
    // Keys and values with newlines and quotes stay on one line.
    REQUIRE_FALSE(journal.append({put("we\"ird\nkey", {{"s", "line\none"}})}));
    CHECK(reopen(dir).back() == std::pair<std::string, json>{"we\"ird\nkey", {{"s", "line\none"}}});
}

TEST_CASE("a batch is all there after a crash or not at all, cut anywhere") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    REQUIRE_FALSE(journal.append({put("a", 1), put("b", 2)}));
    const auto before = readAll(journal.file());
    REQUIRE_FALSE(journal.append({put("c", 3), erase("a"), put("b", 20)}));
    const auto after = readAll(journal.file());
    REQUIRE(after.size() > before.size());
    const Records old{{"a", 1}, {"b", 2}};
    const Records now{{"b", 20}, {"c", 3}};
    for (size_t cut = before.size(); cut <= after.size(); ++cut) {
        CAPTURE(cut);
        TempDir crash;
        writeAll(crash.path / "state.journal", after.substr(0, cut));
        StateJournal successor(crash.path);
        auto contents = successor.open();
        CHECK(contents.problems.empty());
        CHECK(contents.records == (cut == after.size() ? now : old));
        CHECK(contents.notices.size() == (cut == before.size() || cut == after.size() ? 0 : 1));
        // The torn tail is cut off, so what comes next is not glued to it.
        CHECK(readAll(successor.file()).size() == (cut == after.size() ? after : before).size());
        REQUIRE_FALSE(successor.append({put("d", 4)}));
        auto expected = cut == after.size() ? now : old;
        expected.emplace_back("d", 4);
        CHECK(reopen(crash.path) == expected);
    }
}

TEST_CASE("a corrupt record is reported, the file kept aside, the rest restored") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    REQUIRE_FALSE(journal.append({put("a", 1), put("b", 2)}));
    REQUIRE_FALSE(journal.append({put("c", 3)}));
    auto text = readAll(journal.file());
    // Line 3 holds a's record (after the header and the empty commit of the
    // new file): one changed digit in its value.
    const auto at = text.find("\"v\":1");
    REQUIRE(at != std::string::npos);
    text[at + 4] = '7';
    writeAll(journal.file(), text);

    StateJournal successor(tmp.path);
    auto contents = successor.open();
    CHECK(contents.records == Records{{"b", 2}, {"c", 3}});
    REQUIRE(contents.problems.size() == 1);
    CHECK(contents.problems[0].find("1 corrupt record(s) (line 3)") != std::string::npos);
    auto kept = filesStartingWith(tmp.path, "state.journal.corrupt-");
    REQUIRE(kept.size() == 1);
    CHECK(contents.problems[0].find(kept[0]) != std::string::npos);
    CHECK(readAll(kept[0]) == text);
    // The journal was rewritten from what was readable: a clean next start.
    CHECK(reopen(tmp.path) == Records{{"b", 2}, {"c", 3}});
}

TEST_CASE("a file without our header is kept aside and reported") {
    for (const char* text : {"garbage\n", "{\"version\": 1, \"processes\": []}\n", "0000"}) {
        TempDir tmp;
        writeAll(tmp.path / "state.journal", text);
        StateJournal journal(tmp.path);
        auto contents = journal.open();
        CHECK(contents.records.empty());
        REQUIRE(contents.problems.size() == 1);
        auto kept = filesStartingWith(tmp.path, "state.journal.corrupt-");
        REQUIRE(kept.size() == 1);
        CHECK(readAll(kept[0]) == text);
        CHECK(reopen(tmp.path).empty());
    }
}

TEST_CASE("the file is compacted when it grows past twice its live records") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    const std::string big(1000, 'x');  // live: past kMinCompactBytes / 2
    for (int i = 0; i < 100; ++i) {
        REQUIRE_FALSE(journal.append({put("k" + std::to_string(i), {{"s", big}})}));
    }
    uint64_t largest = 0;
    for (int round = 0; round < 600; ++round) {
        REQUIRE_FALSE(journal.append(
            {put("k" + std::to_string(round % 100), {{"s", big}, {"round", round}})}));
        CHECK(journal.fileBytes() == fs::file_size(journal.file()));
        largest = std::max(largest, journal.fileBytes());
    }
    CHECK(largest <= 2 * journal.liveBytes() + 1024);
    CHECK(fs::file_size(journal.file()) <= 2 * journal.liveBytes() + 1024);
    auto records = reopen(tmp.path);
    REQUIRE(records.size() == 100);
    // Order of first writing survives compactions; values are the last ones.
    CHECK(records[0].first == "k0");
    CHECK(records[99].first == "k99");
    CHECK(records[99].second["round"] == 599);
    CHECK_FALSE(fs::exists(tmp.path / "state.journal.tmp"));
}

TEST_CASE("a failed write is repaired by rewriting the whole file") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    REQUIRE_FALSE(journal.append({put("a", 1)}));
    const std::string big(4000, 'x');
    {
        // The disk fills up in the middle of a batch: half a line is left.
        forever::test::FileSizeLimit full(fs::file_size(journal.file()) + 100);
        CHECK(journal.append({put("b", big)}));
        CHECK(journal.needsRepair());
        CHECK(journal.append({put("c", 3)}));
        CHECK(journal.compact());
    }
    // The changes that failed are not lost: the repair writes them all.
    REQUIRE_FALSE(journal.compact());
    CHECK_FALSE(journal.needsRepair());
    CHECK(reopen(tmp.path) == Records{{"a", 1}, {"b", big}, {"c", 3}});
    REQUIRE_FALSE(journal.append({erase("a")}));
    CHECK(reopen(tmp.path) == Records{{"b", big}, {"c", 3}});
}
