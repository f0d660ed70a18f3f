#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/state_store.hpp"
#include "testing/temp_dir.hpp"

using forever::StateStore;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
using forever::test::TempDir;

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

std::vector<std::string> corruptFiles(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().rfind("processes.json.corrupt-", 0) == 0) {
            out.push_back(e.path().string());
        }
    }
    return out;
}
}  // namespace

TEST_CASE("save then load round-trips, atomically, owner-only") {
    TempDir tmp;
    StateStore store(tmp.path / "forever");
    CHECK(store.load().processes.is_null());
    CHECK(store.load().error.empty());
    json processes = json::array({{{"spec", {{"uid", "a"}, {"script", "/a.js"}}}}});
    REQUIRE_FALSE(store.save(processes));
    struct stat st {};
    REQUIRE(::stat((tmp.path / "forever").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK_FALSE(fs::exists(tmp.path / "forever" / "processes.json.tmp"));
    std::ifstream in(store.file());
    json doc = json::parse(in);
    CHECK(doc["version"] == 1);
    CHECK(doc["processes"] == processes);
    auto loaded = store.load();
    CHECK(loaded.error.empty());
    CHECK(loaded.processes == processes);
    // A second save replaces the first.
    REQUIRE_FALSE(store.save(json::array()));
    CHECK(store.load().processes == json::array());
}

TEST_CASE("a corrupt file is reported and kept aside") {
    for (const char* text : {"{\"version\": 1, \"processes\": [{\"spec\"",  // half-written
                             "{\"version\": 2, \"processes\": []}",         // from the future
                             "{\"version\": 1}",                            // no list
                             ""}) {
        TempDir tmp;
        StateStore store(tmp.path);
        write(store.file(), text);
        auto loaded = store.load();
        CHECK(loaded.processes.is_null());
        CHECK(loaded.error.find("unreadable") != std::string::npos);
        auto kept = corruptFiles(tmp.path);
        REQUIRE(kept.size() == 1);
        CHECK(loaded.error.find(kept[0]) != std::string::npos);
        std::ifstream in(kept[0]);
        std::string content((std::istreambuf_iterator<char>(in)), {});
        CHECK(content == text);
        CHECK_FALSE(fs::exists(store.file()));
        // Next start: nothing to restore, nothing to report.
        CHECK(store.load().error.empty());
    }
}

TEST_CASE("an unwritable directory is an error, not a crash") {
    if (::geteuid() == 0) {
        // root writes anywhere; use a path below a regular file instead
        TempDir tmp;
        write(tmp.path / "file", "x");
        StateStore store(tmp.path / "file" / "sub");
        CHECK(store.save(json::array()));
        return;
    }
    StateStore store("/proc/forever-cannot-write-here");
    CHECK(store.save(json::array()));
}
