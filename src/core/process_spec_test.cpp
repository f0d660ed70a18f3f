#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/process_spec.hpp"

using namespace forever;
using nlohmann::json;

TEST_CASE("forever.json keys round-trip through the persisted form") {
    json in = json::parse(R"({
        "uid": "my-app", "script": "/srv/server.js", "args": ["--port", "3000"],
        "env": {"NODE_ENV": "production", "PORT": 3000}, "append": true,
        "max": 5, "minUptime": 2000, "spinSleepTime": 1000, "killSignal": "SIGINT",
        "killTree": true, "outFile": "/tmp/out.log", "restart": "on-failure",
        "listen": "127.0.0.1:3000", "reloadTimeout": 5000,
        "restartAt": "Mon *-*-* 03:00", "group": "api"
    })");
    ProcessSpec s = specFromJson(in);
    CHECK(s.uid == "my-app");
    CHECK(s.args == std::vector<std::string>{"--port", "3000"});
    CHECK(s.env.at("PORT") == "3000");
    CHECK(s.max == 5);
    CHECK(s.minUptime.count() == 2000);
    CHECK(s.spinSleepTime->count() == 1000);
    CHECK(s.killSignal == SIGINT);
    CHECK(toString(s.restart) == "on-failure");
    CHECK(s.listen == "127.0.0.1:3000");
    CHECK(s.reloadTimeout.count() == 5000);
    CHECK(s.restartAt == "Mon *-*-* 03:00");
    CHECK(s.group == "api");
    ProcessSpec again = specFromJson(specToJson(s));
    CHECK(specToJson(again) == specToJson(s));
}

TEST_CASE("unknown keys and wrong types are refused, naming the key") {
    CHECK_THROWS_WITH_AS(specFromJson(json::parse(R"({"script":"/a.js","scirpt":1})")),
                         "unknown key 'scirpt'", SpecError);
    CHECK_THROWS_WITH_AS(specFromJson(json::parse(R"({"script":"/a.js","max":"x"})")),
                         "'max' must be a whole number", SpecError);
    CHECK_THROWS_WITH_AS(specFromJson(json::parse(R"({"script":"/a.js","args":[1]})")),
                         "'args' must be an array of strings", SpecError);
    CHECK_THROWS_WITH_AS(specFromJson(json::parse(R"({"uid":"x"})")), "'script' is required",
                         SpecError);
    CHECK_THROWS_AS(specFromJson(json::parse(R"({"script":"/a.js","killSignal":"SIGNOPE"})")),
                    SpecError);
    CHECK_THROWS_AS(specFromJson(json::parse(R"({"script":"/a.js","minUptime":-1})")), SpecError);
    CHECK_THROWS_WITH_AS(specFromJson(json::parse(R"({"script":"/a.js","env":{"A=B":"c"}})")),
                         "'env' has an invalid variable name 'A=B'", SpecError);
    CHECK_THROWS_AS(specFromJson(json::parse(R"({"script":"/a.js","env":{"":"c"}})")), SpecError);
    CHECK_THROWS_WITH_AS(specFromJson(json::parse(R"({"script":"/a.js","listen":"host:80"})")),
                         "'listen': 'host' is not an IPv4 address (a host name is not resolved)",
                         SpecError);
    CHECK_THROWS_AS(specFromJson(json::parse(R"({"script":"/a.js","reloadTimeout":0})")),
                    SpecError);
}

TEST_CASE("node runs .js scripts; anything else runs itself") {
    CHECK(defaultCommandFor("/srv/app.js") == "node");
    CHECK(defaultCommandFor("/srv/app.mjs") == "node");
    CHECK(defaultCommandFor("/srv/app.cjs") == "node");
    CHECK(defaultCommandFor("/srv/run.sh").empty());
}

TEST_CASE("argv puts interpreter flags before the script and args after") {
    ProcessSpec s;
    s.command = "node";
    s.nodeArgs = {"--max-old-space-size=1024"};
    s.script = "/srv/app.js";
    s.args = {"--port", "3000"};
    CHECK(s.argv() == std::vector<std::string>{"node", "--max-old-space-size=1024", "/srv/app.js",
                                               "--port", "3000"});
}

TEST_CASE("validation refuses a missing script before anything is spawned") {
    ProcessSpec s;
    s.uid = "x";
    s.script = "/nonexistent/app.js";
    s.command = "node";
    CHECK_THROWS_WITH_AS(validateSpec(s), "script not found: /nonexistent/app.js", SpecError);
    s.script = "relative.js";
    CHECK_THROWS_AS(validateSpec(s), SpecError);
}

TEST_CASE("uids") {
    CHECK(isValidUid("my-app"));
    CHECK(isValidUid("api server"));
    CHECK_FALSE(isValidUid(""));
    CHECK_FALSE(isValidUid("a/b"));
    CHECK_FALSE(isValidUid(" padded"));
    CHECK_FALSE(isValidUid(std::string("bell\x07", 5)));
}
