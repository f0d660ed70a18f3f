#include <doctest/doctest.h>

#include "web/prometheus_text.hpp"

using namespace forever::web;

namespace {
MetricsInput sample() {
    MetricsInput in;
    forever::cli::ProcessView a;
    a.uid = "api";
    a.script = "/srv/say \"hi\"\\.js";
    a.pid = 42;
    a.state = "running";
    a.restarts = 3;
    a.memory = 1048576;
    a.startedAtUs = 1700000000500000;
    forever::cli::ProcessView b;
    b.uid = "worker";
    b.script = "w.js";
    b.state = "crash-looping";
    in.processes = {a, b};
    in.cpuNsec = {{"api", 2500000000}};
    in.supervisor.up = true;
    in.supervisor.version = "0.1.0";
    return in;
}
}  // namespace

TEST_CASE("the classic text format: HELP/TYPE, labels escaped, counters end in _total") {
    const std::string text = renderMetrics(sample(), false);
    CHECK(text.find("# TYPE forever_process_restarts_total counter\n") != std::string::npos);
    CHECK(text.find("forever_process_up{uid=\"api\",script=\"/srv/say \\\"hi\\\"\\\\.js\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("forever_process_up{uid=\"worker\",script=\"w.js\"} 0\n") != std::string::npos);
    CHECK(text.find("forever_process_cpu_seconds_total{uid=\"api\"") != std::string::npos);
    CHECK(text.find("} 2.5\n") != std::string::npos);
    CHECK(text.find("forever_process_crash_looping{uid=\"worker\",script=\"w.js\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("forever_process_restarts_total{uid=\"api\",script=\"/srv/say "
                    "\\\"hi\\\"\\\\.js\"} 3\n") != std::string::npos);
    CHECK(text.find("forever_supervisor_up 1\n") != std::string::npos);
    CHECK(text.find("# EOF") == std::string::npos);
}

TEST_CASE("OpenMetrics: counter families without _total, and # EOF") {
    const std::string text = renderMetrics(sample(), true);
    CHECK(text.find("# TYPE forever_process_restarts counter\n") != std::string::npos);
    CHECK(text.find("forever_process_restarts_total{") != std::string::npos);
    CHECK(text.ends_with("# EOF\n"));
    CHECK(wantsOpenMetrics("application/openmetrics-text; version=1.0.0,text/plain;q=0.5"));
    CHECK_FALSE(wantsOpenMetrics("text/plain"));
}

TEST_CASE("foreverd down: only the supervisor says so") {
    const std::string text = renderMetrics(MetricsInput{}, false);
    CHECK(text.find("forever_supervisor_up 0\n") != std::string::npos);
    CHECK(text.find("forever_process_up{") == std::string::npos);
}
