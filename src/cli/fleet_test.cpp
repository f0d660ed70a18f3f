#include <doctest/doctest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/fleet.hpp"

using namespace forever::cli;

namespace {

std::vector<BusTarget> hosts(std::initializer_list<const char*> labels) {
    std::vector<BusTarget> out;
    for (const char* l : labels) {
        out.push_back(BusTarget{false, "unused", l, ""});
    }
    return out;
}

}  // namespace

TEST_CASE("a table gets a HOST column and one header; a sentence is one prefixed line") {
    std::string table = "uid  pid\na    12\nbb   3\n";
    CHECK(fleetBlock(table, "web1", 6, FleetLayout::kTable, true) ==
          "HOST    uid  pid\nweb1    a    12\nweb1    bb   3\n");
    CHECK(fleetBlock(table, "db", 6, FleetLayout::kTable, false) ==
          "db      a    12\ndb      bb   3\n");
    CHECK(fleetBlock("No forever processes running\n", "db", 6, FleetLayout::kTable, true) ==
          "db: No forever processes running\n");
    CHECK(fleetBlock("a 12\n", "db", 6, FleetLayout::kPlain, true) == "db a 12\n");
    CHECK(fleetBlock("stopped a\nstopped b\n", "web1", 4, FleetLayout::kLines, true) ==
          "web1: stopped a\nweb1: stopped b\n");
}

TEST_CASE("JSON items carry the host") {
    auto items = hostJsonItems("[{\"uid\":\"a\"},{\"uid\":\"b\"}]", "web1");
    REQUIRE(items.size() == 2);
    CHECK(items[0] == "{\"host\":\"web1\",\"uid\":\"a\"}");
    CHECK(hostJsonItems("{\"uid\":\"a\"}", "h")[0] == "{\"host\":\"h\",\"uid\":\"a\"}");
    CHECK(hostJsonItems("[\"a\"]", "h")[0] == "{\"host\":\"h\",\"value\":\"a\"}");
}

TEST_CASE("hosts run in parallel; a slow host delays only its own rows; failures are lines") {
    auto action = [] {
        const std::string& label = scopedBusTarget()->label;
        if (label == "slow") {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        if (label == "down") {
            throw CliError(kExitNotRunning, "down: cannot reach foreverd's bus: refused");
        }
        std::cout << "uid\n" << label << "-app\n";
        return kExitOk;
    };
    std::ostringstream out, err;
    auto start = std::chrono::steady_clock::now();
    int code = runOnHosts(hosts({"slow", "fast", "down"}), action, FleetLayout::kTable, out, err);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(code == kExitNotRunning);
    CHECK(out.str() == "HOST  uid\nfast  fast-app\nslow  slow-app\n");
    CHECK(err.str() == "foreverctl: down: cannot reach foreverd's bus: refused\n");
    CHECK(took < std::chrono::milliseconds(3000));  // generous: not 3 × 300 ms in a row
}

TEST_CASE("--json merges every host's items, failures included, into one array") {
    auto action = [] {
        const std::string& label = scopedBusTarget()->label;
        if (label == "b") {
            throw CliError(kExitNotFound, "no process matches 'x'");
        }
        std::cout << "[{\"uid\":\"x\"}]\n";
        return kExitOk;
    };
    std::ostringstream out, err;
    int code = runOnHosts(hosts({"a", "b"}), action, FleetLayout::kJson, out, err);
    CHECK(code == kExitNotFound);
    auto doc = nlohmann::json::parse(out.str());
    REQUIRE(doc.size() == 2);
    CHECK(doc[0]["host"] == "a");
    CHECK(doc[0]["uid"] == "x");
    CHECK(doc[1]["host"] == "b");
    CHECK(doc[1]["error"] == "b: no process matches 'x'");
    CHECK(err.str() == "foreverctl: b: no process matches 'x'\n");
}
