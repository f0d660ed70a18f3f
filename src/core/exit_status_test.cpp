#include <doctest/doctest.h>

#include <csignal>

#include "core/exit_status.hpp"

using namespace forever;

TEST_CASE("signal names parse in every form users type") {
    CHECK(parseSignal("SIGTERM") == SIGTERM);
    CHECK(parseSignal("TERM") == SIGTERM);
    CHECK(parseSignal("sigint") == SIGINT);
    CHECK(parseSignal("9") == SIGKILL);
    CHECK(parseSignal("SIGNOPE") == 0);
    CHECK(parseSignal("") == 0);
    CHECK(parseSignal("99999999999") == 0);
    CHECK(parseSignal("-1") == 0);
}

TEST_CASE("descriptions keep code and signal apart") {
    CHECK(ExitStatus::exited(3).describe() == "exit code 3");
    CHECK(ExitStatus::killed(SIGKILL).describe() == "signal SIGKILL");
    CHECK(signalName(SIGSEGV) == "SIGSEGV");
}
