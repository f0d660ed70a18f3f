#include "core/state_migration.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "core/state_store.hpp"
#include "testing/temp_dir.hpp"

using forever::JournalContents;
using forever::openStateJournal;
using forever::StateJournal;
using forever::StateStore;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
using forever::test::TempDir;

const json kLegacy = json::array({
    {{"spec", {{"uid", "web"}, {"script", "/srv/web.js"}}},
     {"state", "running"},
     {"pid", 42},
     {"pidStartTime", 777}},
    {{"spec", {{"uid", "jobs"}, {"script", "/srv/jobs.js"}}}, {"state", "crashed"}},
    {{"spec", {{"script", "/srv/no-uid.js"}}}},
});

std::vector<json> values(const JournalContents& contents) {
    std::vector<json> out;
    for (const auto& [key, value] : contents.records) {
        out.push_back(value);
    }
    return out;
}
}  // namespace

TEST_CASE("processes.json is migrated once, in order, and renamed") {
    TempDir tmp;
    REQUIRE_FALSE(StateStore(tmp.path).save(kLegacy));
    StateJournal journal(tmp.path);
    auto contents = openStateJournal(journal, tmp.path);
    CHECK(contents.problems.empty());
    CHECK(values(contents) == std::vector<json>(kLegacy.begin(), kLegacy.end()));
    CHECK(contents.records[0].first == "web");
    CHECK(contents.records[1].first == "jobs");
    REQUIRE(contents.notices.size() == 1);
    CHECK(contents.notices[0].find("migrated 3 process(es)") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path / "processes.json"));
    CHECK(fs::exists(tmp.path / "processes.json.migrated"));
    // Changes go on from there; the next start reads the journal alone.
    REQUIRE_FALSE(journal.append({{"web", std::nullopt}}));
    StateJournal again(tmp.path);
    auto next = openStateJournal(again, tmp.path);
    CHECK(next.problems.empty());
    CHECK(next.notices.empty());
    CHECK(values(next) == std::vector<json>{kLegacy[1], kLegacy[2]});
}

TEST_CASE("a processes.json left beside a journal is not imported twice") {
    TempDir tmp;
    {
        StateJournal journal(tmp.path);
        journal.open();
        REQUIRE_FALSE(journal.append({{"only", json({{"spec", {{"uid", "only"}}}}).dump()}}));
    }
    REQUIRE_FALSE(StateStore(tmp.path).save(kLegacy));  // a crash before the rename
    StateJournal journal(tmp.path);
    auto contents = openStateJournal(journal, tmp.path);
    REQUIRE(contents.records.size() == 1);
    CHECK(contents.records[0].first == "only");
    REQUIRE(contents.notices.size() == 1);
    CHECK(contents.notices[0].find("migrated before") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path / "processes.json"));
}

TEST_CASE("an unreadable processes.json is reported and kept aside, as before") {
    TempDir tmp;
    std::ofstream(tmp.path / "processes.json") << "{\"version\": 1, \"proc";
    StateJournal journal(tmp.path);
    auto contents = openStateJournal(journal, tmp.path);
    CHECK(contents.records.empty());
    REQUIRE(contents.problems.size() == 1);
    CHECK(contents.problems[0].find("unreadable") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp.path / "processes.json"));
}
