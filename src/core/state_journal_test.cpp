#include "core/state_journal.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

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

TEST_CASE("compactions keep the latest record of each key, in first-written order") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    // 300 records of ~1 KB: the new file is written in more than one chunk;
    // one record is bigger than a chunk.
    const std::string big(1000, 'x');
    const std::string huge(600 * 1024, 'h');
    std::map<std::string, json> latest;
    std::vector<std::string> order;
    auto write = [&](const std::string& key, const json& value) {
        if (!latest.count(key)) {
            order.push_back(key);
        }
        latest[key] = value;
        return put(key, value);
    };
    std::vector<JournalChange> first;
    for (int i = 0; i < 300; ++i) {
        first.push_back(write("k" + std::to_string(i), {{"s", big}, {"round", -1}}));
    }
    first.push_back(write("huge", {{"s", huge}}));
    REQUIRE_FALSE(journal.append(first));
    int compactions = 0;
    for (int round = 0; round < 2000; ++round) {
        // Updates in batches of three, one key twice in a batch: the later wins.
        const int at = (round * 7) % 300;
        const auto before = journal.fileBytes();
        REQUIRE_FALSE(
            journal.append({write("k" + std::to_string(at), {{"s", big}, {"round", round}}),
                            write("k" + std::to_string((at + 1) % 300), {{"r", round}}),
                            write("k" + std::to_string(at), {{"s", big}, {"last", round}})}));
        compactions += journal.fileBytes() < before ? 1 : 0;
        CHECK(journal.fileBytes() == fs::file_size(journal.file()));
    }
    CHECK(compactions >= 3);
    CHECK(journal.fileBytes() <= 2 * journal.liveBytes() + 1024);
    REQUIRE_FALSE(journal.compact());
    CHECK(journal.fileBytes() == fs::file_size(journal.file()));
    Records expected;
    for (const auto& key : order) {
        expected.emplace_back(key, latest[key]);
    }
    CHECK(journal.liveRecords() == expected.size());
    CHECK(reopen(tmp.path) == expected);
    // A successor's first write rewrites the file from the one it opened.
    StateJournal successor(tmp.path);
    auto contents = successor.open();
    CHECK(contents.problems.empty());
    CHECK(contents.records == expected);
    REQUIRE_FALSE(successor.append({write("k5", {{"after", 1}}), write("new", 1)}));
    expected[5].second = json{{"after", 1}};
    expected.emplace_back("new", 1);
    CHECK(reopen(tmp.path) == expected);
    REQUIRE_FALSE(successor.compact());
    CHECK(reopen(tmp.path) == expected);
    CHECK_FALSE(fs::exists(tmp.path / "state.journal.tmp"));
}

TEST_CASE("after a failed append, the next successful append loses nothing") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    REQUIRE_FALSE(journal.append({put("a", 1), put("b", 2), put("c", 3)}));
    const std::string big(4000, 'x');
    {
        forever::test::FileSizeLimit full(fs::file_size(journal.file()) + 100);
        // b replaced and d added by the batch that fails: b's old line is
        // still in the file, but its new value is what must be written.
        CHECK(journal.append({put("b", big), put("d", 4)}));
        CHECK(journal.needsRepair());
        // A compaction that fails too leaves the old file, and where the
        // records are in it, as they were.
        CHECK(journal.append({erase("c"), put("e", big)}));
        CHECK(journal.needsRepair());
    }
    CHECK(journal.liveRecords() == 4);
    REQUIRE_FALSE(journal.append({put("f", 6)}));
    CHECK_FALSE(journal.needsRepair());
    const Records expected{{"a", 1}, {"b", big}, {"d", 4}, {"e", big}, {"f", 6}};
    CHECK(reopen(tmp.path) == expected);
    // The places the repair took are right: the next compaction reads them.
    REQUIRE_FALSE(journal.compact());
    CHECK(reopen(tmp.path) == expected);
    REQUIRE_FALSE(journal.append({erase("a")}));
    CHECK(reopen(tmp.path) == Records(expected.begin() + 1, expected.end()));
}

TEST_CASE("a file changed under the journal fails the compaction, and loses nothing") {
    TempDir tmp;
    StateJournal journal(tmp.path);
    journal.open();
    REQUIRE_FALSE(journal.append({put("a", "one"), put("b", "two")}));
    const auto original = readAll(journal.file());
    auto changed = original;
    changed[changed.find("two") + 1] = 'x';
    // Changed in place (same size), then cut short: the lines the records
    // were written as are not there any more.
    for (const auto& text : {changed, original.substr(0, original.size() - 20)}) {
        CAPTURE(text);
        writeAll(journal.file(), text);
        const auto ec = journal.compact();
        REQUIRE(ec);
        CHECK(ec.message().find("changed") != std::string::npos);
        CHECK(journal.needsRepair());
        CHECK(readAll(journal.file()) == text);  // not replaced by a file without b
        CHECK(journal.liveRecords() == 2);
        CHECK_FALSE(fs::exists(tmp.path / "state.journal.tmp"));
    }
    writeAll(journal.file(), original);
    REQUIRE_FALSE(journal.append({put("c", "three")}));
    CHECK(reopen(tmp.path) == Records{{"a", "one"}, {"b", "two"}, {"c", "three"}});
}

TEST_CASE("a file written before records were kept as places still opens") {
    // Written by the journal when it kept each record's text in memory:
    // header, the empty commit of a new file, then two batches.
    const std::string old =
        "5cf06d66 {\"journal\":\"forever-state\",\"version\":1}\n"
        "35c0ce8e {\"c\":0}\n"
        "2763545c {\"k\":\"a\",\"v\":{\"n\":1}}\n"
        "a45bbb2e {\"k\":\"b\",\"v\":{\"env\":{\"PATH\":\"/bin\"}}}\n"
        "07f6ac0c {\"c\":2}\n"
        "ac62769d {\"k\":\"c\",\"v\":3}\n"
        "aa82f87b {\"k\":\"a\",\"d\":1}\n"
        "dd739908 {\"k\":\"b\",\"v\":{\"n\":20}}\n"
        "1eed9d4d {\"c\":3}\n";
    {
        // The same changes still make the same bytes.
        TempDir tmp;
        StateJournal journal(tmp.path);
        journal.open();
        REQUIRE_FALSE(
            journal.append({put("a", {{"n", 1}}), put("b", {{"env", {{"PATH", "/bin"}}}})}));
        REQUIRE_FALSE(journal.append({put("c", 3), erase("a"), put("b", {{"n", 20}})}));
        CHECK(readAll(journal.file()) == old);
    }
    TempDir tmp;
    writeAll(tmp.path / "state.journal", old);
    StateJournal journal(tmp.path);
    auto contents = journal.open();
    CHECK(contents.problems.empty());
    CHECK(contents.notices.empty());
    const Records expected{{"b", {{"n", 20}}}, {"c", 3}};
    CHECK(contents.records == expected);
    CHECK(readAll(journal.file()) == old);
    // The first write rewrites it, reading b and c back from it.
    REQUIRE_FALSE(journal.append({put("d", 4)}));
    CHECK(reopen(tmp.path) == Records{{"b", {{"n", 20}}}, {"c", 3}, {"d", 4}});
}
