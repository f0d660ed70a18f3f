#include <doctest/doctest.h>

#include "cli/args.hpp"
#include "testing/error_text.hpp"

using namespace forever::cli;

namespace {
Invocation parse(std::initializer_list<std::string> words) {
    return parseArgs(words);
}

std::string usageError(std::initializer_list<std::string> words) {
    return forever::testing::errorText<UsageError>([&] { parseArgs(words); });
}
}  // namespace

TEST_CASE("after SCRIPT, everything belongs to the script (forever's rule)") {
    auto inv =
        parse({"start", "-m", "5", "--minUptime", "2000", "app.js", "--port", "3000", "-m", "1"});
    CHECK(inv.action == "start");
    CHECK(inv.operands == std::vector<std::string>{"app.js"});
    CHECK(inv.scriptArgs == std::vector<std::string>{"--port", "3000", "-m", "1"});
    CHECK(inv.spec["max"] == 5);
    CHECK(inv.spec["minUptime"] == 2000);
}

TEST_CASE("start options, long and short, with = or a separate value") {
    auto inv = parse({"start",
                      "--max=3",
                      "--uid",
                      "web",
                      "-l",
                      "all.log",
                      "-o",
                      "out.log",
                      "-e",
                      "err.log",
                      "-p",
                      "logs",
                      "-a",
                      "-t",
                      "-s",
                      "--killSignal",
                      "SIGINT",
                      "--killTree",
                      "--logMaxBytes",
                      "10M",
                      "--logMaxAge",
                      "2d",
                      "--maxMemory",
                      "300M",
                      "app.js"});
    CHECK(inv.spec["max"] == 3);
    CHECK(inv.spec["uid"] == "web");
    CHECK(inv.spec["logFile"] == "all.log");
    CHECK(inv.spec["outFile"] == "out.log");
    CHECK(inv.spec["errFile"] == "err.log");
    CHECK(inv.spec["path"] == "logs");
    CHECK(inv.spec["append"] == true);
    CHECK(inv.spec["timestamp"] == true);
    CHECK(inv.spec["silent"] == true);
    CHECK(inv.spec["killSignal"] == "SIGINT");
    CHECK(inv.spec["killTree"] == true);
    CHECK(inv.spec["logMaxBytes"] == 10u * 1024 * 1024);
    CHECK(inv.spec["logMaxAge"] == 2u * 86400);
    CHECK(inv.spec["maxMemory"] == 300u * 1024 * 1024);
    auto watch = parse({"start", "-w", "--watchDirectory", "src", "--watchIgnore", "*.log",
                        "--watchIgnore=tmp/**", "app.js"});
    CHECK(watch.spec["watch"] == true);
    CHECK(watch.spec["watchDirectory"] == "src");
    CHECK(watch.spec["watchIgnorePatterns"] == nlohmann::json::array({"*.log", "tmp/**"}));
}

TEST_CASE("--env NAME and --env KEY=VALUE") {
    auto inv =
        parse({"start", "--env", "production", "--env", "PORT=3000", "--env=A=b=c", "app.js"});
    CHECK(inv.envSettings == std::vector<std::string>{"production", "PORT=3000", "A=b=c"});
    CHECK(usageError({"start", "--env", "=x", "app.js"}).find("variable name is empty") !=
          std::string::npos);
}

TEST_CASE("interpreter flags before the script go to nodeArgs; typos do not") {
    auto inv = parse({"start", "--max-old-space-size=1024", "--inspect", "app.js"});
    CHECK(inv.spec["nodeArgs"] ==
          nlohmann::json::array({"--max-old-space-size=1024", "--inspect"}));
    CHECK(usageError({"start", "--minUptim", "5", "app.js"}) ==
          "unknown option --minUptim (did you mean --minUptime?)");
    CHECK(usageError({"start", "--Bogus", "app.js"}) == "unknown option --Bogus");
}

TEST_CASE("bad command lines are refused with one clear line") {
    CHECK(usageError({"lsit"}) == "unknown action 'lsit' (did you mean list?)");
    CHECK(usageError({}) == "no action given (try: foreverctl --help)");
    CHECK(usageError({"start"}) ==
          "missing operand: usage: foreverctl start [options] SCRIPT [args...]");
    CHECK(usageError({"stop"}) == "missing operand: usage: foreverctl stop TARGET");
    CHECK(usageError({"stop", "a", "b"}) == "unexpected 'b': usage: foreverctl stop TARGET");
    CHECK(usageError({"start", "-m", "abc", "app.js"}) ==
          "-m expects a non-negative whole number, not 'abc'");
    CHECK(usageError({"start", "-m"}) == "-m needs a value (N)");
    CHECK(usageError({"start", "--watchIgnore", "", "app.js"}) ==
          "--watchIgnore needs a non-empty value");
    CHECK(usageError({"list", "-m", "3"}) == "-m does not apply to 'list'");
    CHECK(usageError({"stopbypid", "12x"}) == "PID expects a non-negative whole number, not '12x'");
    CHECK(usageError({"start", "--json=yes", "a.js"}) == "--json takes no value");
    CHECK(usageError({"start", "--logMaxBytes", "lots", "a.js"}) ==
          "--logMaxBytes expects a size such as 10M, 512K or 4096, not 'lots'");
    CHECK(usageError({"help", "nope"}) == "no help for unknown action 'nope'");
}

TEST_CASE("global options anywhere before the script") {
    auto inv = parse({"--json", "list", "--plain", "--no-color"});
    CHECK(inv.json);
    CHECK(inv.plain);
    CHECK(inv.noColor);
    CHECK(parse({"list", "--colors"}).forceColor);
    CHECK(parse({"--system", "stopall"}).system);
    CHECK(parse({"--version"}).version);
    auto help = parse({"help", "stop"});
    CHECK(help.help);
    CHECK(help.action == "stop");
    auto logs = parse({"logs", "0", "-f", "-n", "50"});
    CHECK(logs.follow);
    CHECK(logs.lines == 50);
    CHECK(logs.operands == std::vector<std::string>{"0"});
    CHECK(parse({"logs"}).lines == 10);
}

TEST_CASE("groups: scale takes a relative count, reload --parallel, start --restart-at") {
    CHECK(parse({"scale", "api", "-2"}).operands == std::vector<std::string>{"api", "-2"});
    CHECK(parse({"scale", "api", "+3"}).operands == std::vector<std::string>{"api", "+3"});
    CHECK(usageError({"scale", "api"}) != "no error");
    auto reload = parse({"reload", "api", "--parallel", "2"});
    CHECK(reload.parallel == 2);
    CHECK(usageError({"reload", "api", "--parallel", "0"}) == "--parallel needs at least 1");
    CHECK(usageError({"stop", "api", "--parallel", "2"}) != "no error");
    auto start = parse({"start", "--restart-at", "*:0/15", "--uid", "web", "a.js"});
    CHECK(start.spec["restartAt"] == "*:0/15");
    CHECK(parse({"list", "api"}).operands == std::vector<std::string>{"api"});
}
