#include <doctest/doctest.h>

#include "cli/spec_builder.hpp"

using namespace forever::cli;

TEST_CASE("start specs carry absolute paths, the caller's environment and --env") {
    Invocation inv = parseArgs({"start", "--sourceDir", "src", "-p", "logs", "-o", "out.log", "-e",
                                "/var/log/err.log", "--workingDir", "..", "--env", "production",
                                "--env", "PORT=3000", "app.js", "--port", "1"});
    auto spec = buildStartSpec(inv, "/home/u/proj", {{"PATH", "/usr/bin"}, {"PORT", "80"}});
    CHECK(spec["script"] == "/home/u/proj/src/app.js");
    CHECK(spec["sourceDir"] == "/home/u/proj/src");
    CHECK(spec["workingDir"] == "/home/u");
    CHECK(spec["outFile"] == "/home/u/proj/logs/out.log");
    CHECK(spec["errFile"] == "/var/log/err.log");
    CHECK_FALSE(spec.contains("path"));
    CHECK(spec["args"] == nlohmann::json::array({"--port", "1"}));
    CHECK(spec["env"]["PATH"] == "/usr/bin");
    CHECK(spec["env"]["PORT"] == "3000");
    CHECK(spec["env"]["NODE_ENV"] == "production");

    auto plain = buildStartSpec(parseArgs({"start", "-l", "x.log", "a.js"}), "/srv", {});
    CHECK(plain["script"] == "/srv/a.js");
    CHECK(plain["workingDir"] == "/srv");
    CHECK(plain["logFile"] == "/srv/x.log");
}

TEST_CASE("D-Bus types of the spec") {
    auto v = toVariants({{"max", 3},
                         {"minUptime", 2000},
                         {"killTree", true},
                         {"uid", "x"},
                         {"args", {"a", "b"}},
                         {"env", {{"K", "V"}}}});
    CHECK(v.at("max").peekValueType() == "i");
    CHECK(v.at("minUptime").peekValueType() == "t");
    CHECK(v.at("killTree").peekValueType() == "b");
    CHECK(v.at("uid").peekValueType() == "s");
    CHECK(v.at("args").peekValueType() == "as");
    CHECK(v.at("env").peekValueType() == "a{ss}");
    CHECK(v.at("env").get<std::map<std::string, std::string>>().at("K") == "V");
}

TEST_CASE("instances expand into numbered uids with FOREVER_INSTANCE") {
    nlohmann::json spec{{"script", "/srv/api/server.js"}, {"env", {{"A", "1"}}}, {"instances", 3}};
    auto specs = expandInstances(spec);
    REQUIRE(specs.size() == 3);
    CHECK(specs[0]["uid"] == "server-0");
    CHECK(specs[2]["uid"] == "server-2");
    CHECK(specs[1]["env"]["FOREVER_INSTANCE"] == "1");
    CHECK(specs[1]["group"] == "server");
    CHECK(specs[1]["env"]["A"] == "1");
    CHECK_FALSE(specs[0].contains("instances"));
    spec["uid"] = "api";
    CHECK(expandInstances(spec)[1]["uid"] == "api-1");
    CHECK(expandInstances({{"script", "/a.js"}}).size() == 1);
    CHECK_THROWS_AS(expandInstances({{"script", "/a.js"}, {"instances", 0}}), UsageError);
    CHECK_THROWS_AS(expandInstances({{"script", "/a.js"}, {"instances", "2"}}), UsageError);
}
