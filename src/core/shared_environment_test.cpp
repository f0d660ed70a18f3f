#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "core/shared_environment.hpp"

#include <doctest/doctest.h>

using forever::SharedEnvironment;
using Vars = std::map<std::string, std::string>;

TEST_CASE("equal entries of two environments are one string") {
    size_t before = SharedEnvironment::internedCount();
    SharedEnvironment a(Vars{{"HOME", "/home/u"}, {"PATH", "/usr/bin"}});
    SharedEnvironment b(Vars{{"PATH", "/usr/bin"}, {"PORT", "3000"}});
    CHECK(a.entries()[1].get() == b.entries()[0].get());
    CHECK(SharedEnvironment::internedCount() == before + 3);
    CHECK(a.at("PATH") == "/usr/bin");
    CHECK(b.find("HOME") == std::nullopt);
    CHECK_THROWS_AS(b.at("HOME"), std::out_of_range);
}

TEST_CASE("set keeps the entries sorted by name, and replaces") {
    SharedEnvironment e;
    e.set("PORT", "1");
    e.set("A", "x=y");  // a value may hold '='
    e.set("Z", "");
    e.set("PORT", "2");
    REQUIRE(e.size() == 3);
    CHECK(*e.entries()[0] == "A=x=y");
    CHECK(*e.entries()[1] == "PORT=2");
    CHECK(*e.entries()[2] == "Z=");
    CHECK(e.at("A") == "x=y");
    CHECK(e.find("Z") == std::string_view(""));
    CHECK(e.toMap() == std::map<std::string, std::string>{{"A", "x=y"}, {"PORT", "2"}, {"Z", ""}});
}

TEST_CASE("an entry leaves the pool with its last holder, and can come back") {
    size_t before = SharedEnvironment::internedCount();
    {
        SharedEnvironment a(Vars{{"ONLY_HERE", "1"}});
        SharedEnvironment copy = a;
        CHECK(copy == a);
        CHECK(SharedEnvironment::internedCount() == before + 1);
    }
    CHECK(SharedEnvironment::internedCount() == before);
    SharedEnvironment again(Vars{{"ONLY_HERE", "1"}});
    CHECK(SharedEnvironment::internedCount() == before + 1);
    CHECK(again.at("ONLY_HERE") == "1");
}

TEST_CASE("different values of one name are different entries") {
    SharedEnvironment a(Vars{{"PORT", "1"}});
    SharedEnvironment b(Vars{{"PORT", "2"}});
    CHECK_FALSE(a == b);
    b.set("PORT", "1");
    CHECK(a == b);
}

TEST_CASE("fillFrom adds what is unset, shares the base's entries, and the own value wins") {
    SharedEnvironment base(Vars{{"HOME", "/h"}, {"PATH", "/usr/bin"}, {"PORT", "80"}});
    SharedEnvironment own(Vars{{"APP", "x"}, {"PORT", "3000"}});
    own.fillFrom(base);
    CHECK(own.toMap() ==
          Vars{{"APP", "x"}, {"HOME", "/h"}, {"PATH", "/usr/bin"}, {"PORT", "3000"}});
    CHECK(own.entries()[1].get() == base.entries()[0].get());  // HOME: the same string
    SharedEnvironment empty;
    empty.fillFrom(base);
    CHECK(empty == base);
    base.fillFrom(SharedEnvironment{});
    CHECK(base.size() == 3);
}
