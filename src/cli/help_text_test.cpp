#include <doctest/doctest.h>

#include "cli/help_text.hpp"
#include "cli/option_table.hpp"
#include "cli/verbs.hpp"

using namespace forever::cli;

TEST_CASE("help mentions every action and every start option") {
    std::string all = helpText();
    for (const auto& v : verbTable()) {
        CHECK(all.find(v.usage) != std::string::npos);
    }
    std::string start = helpText("start");
    for (const auto& o : optionTable()) {
        if (!o.actions.empty() && o.actions.front() == "start") {
            CHECK(start.find(o.longName) != std::string::npos);
        }
    }
}

TEST_CASE("help ACTION ends with the action's notes") {
    CHECK(helpText("stop").find("TARGET is an index") != std::string::npos);
    std::string reload = helpText("reload");
    CHECK(reload.find("READY=1") < reload.find("TARGET is an index"));
    // A verb without TARGET has no TARGET note (list takes one since groups).
    CHECK(helpText("stopall").find("TARGET") == std::string::npos);
    CHECK(helpText("list").find("TARGET is an index") != std::string::npos);
    CHECK(helpText("scale").find("highest-numbered") != std::string::npos);
    CHECK(helpText("logs").find("--follow") != std::string::npos);
}
