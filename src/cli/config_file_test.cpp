#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/config_file.hpp"
#include "testing/error_text.hpp"
#include "testing/temp_dir.hpp"

using forever::cli::ConfigError;
using forever::cli::ConfigFormat;
using forever::cli::parseConfig;
using forever::cli::ScriptCheck;
namespace fs = std::filesystem;

namespace {

// A directory with the scripts the configs below name.
struct AppDir : forever::test::TempDir {
    AppDir() : TempDir("forever-config") {
        std::ofstream(path / "app.js") << "setInterval(()=>{},1000)\n";
        fs::create_directories(path / "src");
        std::ofstream(path / "src" / "worker.js") << "\n";
    }
};

std::string errorOf(const std::string& text, ConfigFormat format, const fs::path& base,
                    const std::string& profile = "") {
    return forever::testing::errorText<ConfigError>(
        [&] { parseConfig(text, format, "f", base, profile); });
}

}  // namespace

TEST_CASE("forever.json: one object or an array, paths resolved against the file") {
    AppDir dir;
    auto one = parseConfig(R"({"uid": "web", "script": "app.js", "max": 3})", ConfigFormat::Json,
                           "f", dir.path, "");
    REQUIRE(one.size() == 1);
    CHECK(one[0]["script"] == (dir.path / "app.js").string());
    CHECK(one[0]["workingDir"] == dir.path.string());
    CHECK(one[0]["max"] == 3);

    auto many = parseConfig(R"([
      {"uid": "a", "script": "worker.js", "sourceDir": "src", "logFile": "logs/a.log",
       "args": "--port 3000", "env": {"PORT": 3000}, "watch": false},
      {"uid": "b", "script": "app.js", "workingDir": "src", "killSignal": "SIGINT"}
    ])",
                            ConfigFormat::Json, "f", dir.path, "");
    REQUIRE(many.size() == 2);
    CHECK(many[0]["script"] == (dir.path / "src" / "worker.js").string());
    CHECK(many[0]["logFile"] == (dir.path / "logs" / "a.log").string());
    CHECK(many[0]["args"] == nlohmann::json::array({"--port", "3000"}));
    CHECK(many[0]["env"]["PORT"] == 3000);
    CHECK(many[0]["watch"] == false);
    CHECK(many[1]["workingDir"] == (dir.path / "src").string());
}

TEST_CASE("errors point at file:line:column") {
    AppDir dir;
    CHECK(errorOf("[\n  {\"script\": \"app.js\"},\n  {\"scirpt\": \"app.js\"}\n]",
                  ConfigFormat::Json,
                  dir.path) == "f:3:4: unknown key 'scirpt' (did you mean 'script'?)");
    CHECK(errorOf("{\"script\": \"app.js\",\n \"max\": \"three\"}", ConfigFormat::Json, dir.path) ==
          "f:2:9: 'max' must be a whole number");
    CHECK(
        errorOf("{\"script\": \"app.js\",, }", ConfigFormat::Json, dir.path).rfind("f:1:21: ", 0) ==
        0);
    CHECK(errorOf("{\"uid\": \"x\"}", ConfigFormat::Json, dir.path) ==
          "f:1:1: this app has no 'script'");
    CHECK(errorOf("{\"script\": \"missing.js\"}", ConfigFormat::Json, dir.path) ==
          "f:1:12: script not found: " + (dir.path / "missing.js").string());
    // With -H the script is the remote host's: resolved, not looked for here.
    auto remote = parseConfig("{\"script\": \"missing.js\"}", ConfigFormat::Json, "f", dir.path, "",
                              ScriptCheck::Remote);
    REQUIRE(remote.size() == 1);
    CHECK(remote[0]["script"] == (dir.path / "missing.js").string());
    CHECK(errorOf("{\"script\": \"app.js\", \"watch\": \"yes\"}", ConfigFormat::Json, dir.path) ==
          "f:1:31: 'watch' must be true or false");
    CHECK(
        errorOf(
            "[{\"uid\": \"a\", \"script\": \"app.js\"}, {\"uid\": \"a\", \"script\": \"app.js\"}]",
            ConfigFormat::Json, dir.path)
            .rfind("f:1:44: uid 'a' is used twice", 0) == 0);
    CHECK(errorOf("[]", ConfigFormat::Json, dir.path) == "f:1:1: no apps in this file");
    CHECK(errorOf("[\"app.js\"]", ConfigFormat::Json, dir.path) ==
          "f:1:2: each app must be an object (a table in TOML)");
}

TEST_CASE("forever.toml: [[app]] tables and env_NAME sections") {
    AppDir dir;
    const std::string text = R"([[app]]
uid = "api"
script = "app.js"
minUptime = 2000

[app.env]
PORT = 3000
NODE_ENV = "development"

[app.env_production]
NODE_ENV = "production"
PORT = 80

[[app]]
uid = "worker"
script = "src/worker.js"
)";
    auto dev = parseConfig(text, ConfigFormat::Toml, "f", dir.path, "");
    REQUIRE(dev.size() == 2);
    CHECK(dev[0]["env"]["PORT"] == 3000);
    CHECK(dev[0]["env"]["NODE_ENV"] == "development");
    CHECK(dev[0]["minUptime"] == 2000);
    CHECK(dev[1]["script"] == (dir.path / "src" / "worker.js").string());
    auto prod = parseConfig(text, ConfigFormat::Toml, "f", dir.path, "production");
    CHECK(prod[0]["env"]["PORT"] == 80);
    CHECK(prod[0]["env"]["NODE_ENV"] == "production");
    CHECK_FALSE(prod[1].contains("env"));

    CHECK(errorOf("[[app]]\nscript = \"app.js\"\nmax = \"x\"\n", ConfigFormat::Toml, dir.path) ==
          "f:3:7: 'max' must be a whole number");
    CHECK(errorOf("[[app]]\nscript = \"app.js\"\nkilltree = true\n", ConfigFormat::Toml,
                  dir.path) == "f:3:1: unknown key 'killtree' (did you mean 'killTree'?)");
    CHECK(errorOf("[[app]]\nuid = \"t1\n", ConfigFormat::Toml, dir.path).rfind("f:2:", 0) == 0);
    CHECK(errorOf("name = 1\n[[app]]\nscript = \"app.js\"\n", ConfigFormat::Toml, dir.path) ==
          "f:1:1: unexpected top-level key 'name': put app settings in [[app]]");
}

TEST_CASE("values JSON cannot hold are refused, not thrown through (found by fuzzing)") {
    AppDir dir;
    auto error = errorOf("{\"script\": \"app.js\", \"max\": 1e999}", ConfigFormat::Json, dir.path);
    CHECK(error.rfind("f:1:1: ", 0) == 0);
    CHECK(error.find("number overflow") != std::string::npos);
}

TEST_CASE("PM2's cron_restart is restartAt; giving both is refused") {
    AppDir dir;
    auto apps = parseConfig(R"({"script": "app.js", "cron_restart": "0 3 * * *"})",
                            ConfigFormat::Json, "f", dir.path, "");
    REQUIRE(apps.size() == 1);
    // Handed to systemd as it is: systemd's calendar syntax, its error if not.
    CHECK(apps[0]["restartAt"] == "0 3 * * *");
    CHECK_FALSE(apps[0].contains("cron_restart"));
    CHECK(errorOf(R"({"script": "app.js", "cron_restart": "daily", "restartAt": "daily"})",
                  ConfigFormat::Json, dir.path)
              .find("'cron_restart' and 'restartAt' are the same setting") != std::string::npos);
    CHECK(errorOf(R"({"script": "app.js", "cron_restart": 5})", ConfigFormat::Json, dir.path)
              .find("'restartAt' must be a string") != std::string::npos);
}
