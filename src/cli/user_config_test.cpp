#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/usage_error.hpp"
#include "cli/user_config.hpp"
#include "testing/error_text.hpp"
#include "testing/temp_dir.hpp"

using namespace forever::cli;
using nlohmann::json;

namespace {
std::string usageError(const std::function<void()>& f) {
    return forever::testing::errorText<UsageError>(f);
}
}  // namespace

TEST_CASE("columns add, rm, set") {
    json config = json::object();
    CHECK(columnsOf(config) == defaultColumns());
    changeColumns(config, "rm", {"command", "cpu"});
    auto c = columnsOf(config);
    CHECK(std::find(c.begin(), c.end(), "command") == c.end());
    CHECK(c.size() == defaultColumns().size() - 2);
    changeColumns(config, "add", {"logfile", "uid"});  // uid is there already
    CHECK(columnsOf(config).back() == "logfile");
    CHECK(columnsOf(config).size() == defaultColumns().size() - 1);
    changeColumns(config, "set", {"uid", "state"});
    CHECK(columnsOf(config) == std::vector<std::string>{"uid", "state"});
    CHECK(usageError([&] {
              changeColumns(config, "set", {"uidd"});
          }).rfind("unknown column 'uidd' (did you mean uid?)", 0) == 0);
    CHECK(usageError([&] {
              changeColumns(config, "rm", {"uid", "state"});
          }) == "list needs at least one column");
    CHECK(usageError([&] { changeColumns(config, "drop", {"uid"}); }) ==
          "columns: 'drop' is not add, rm or set");
    // A hand-edited file with junk falls back to what is valid.
    CHECK(columnsOf(json{{"columns", {"nope", 3}}}) == defaultColumns());
}

TEST_CASE("set and clear") {
    json config = json::object();
    setConfigValue(config, "columns", "uid, pid ,state");
    CHECK(config["columns"] == json::array({"uid", "pid", "state"}));
    setConfigValue(config, "color", "never");
    setConfigValue(config, "lines", "50");
    CHECK(config["lines"] == 50);
    CHECK(usageError([&] { setConfigValue(config, "color", "blue"); }) ==
          "color must be auto, always or never");
    CHECK(usageError([&] { setConfigValue(config, "lines", "5x"); }) ==
          "lines must be a whole number, not '5x'");
    CHECK(usageError([&] {
              setConfigValue(config, "root", "/x");
          }).rfind("unknown setting 'root'", 0) == 0);
    clearConfigValue(config, "color");
    CHECK_FALSE(config.contains("color"));
}

TEST_CASE("load and save") {
    forever::test::TempDir dir("forever-userconfig");
    auto path = dir.path / "forever" / "config.json";
    CHECK(loadUserConfig(path) == json::object());
    saveUserConfig(path, json{{"color", "always"}});
    CHECK(loadUserConfig(path)["color"] == "always");
    std::ofstream(path) << "{broken";
    CHECK(usageError([&] { loadUserConfig(path); }).find("fix or delete it") != std::string::npos);
}
