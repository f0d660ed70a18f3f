#include "web/prometheus_text.hpp"

#include <fmt/format.h>

namespace forever::web {

std::string escapeLabel(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

bool wantsOpenMetrics(const std::string& accept) {
    return accept.find("application/openmetrics-text") != std::string::npos;
}

const char* metricsContentType(bool openMetrics) {
    return openMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                       : "text/plain; version=0.0.4; charset=utf-8";
}

namespace {

struct Family {
    const char* name;  // the sample name; counters end in _total
    const char* type;
    const char* help;
};

// One family's header. OpenMetrics names a counter family without _total.
void header(std::string& out, const Family& f, bool openMetrics) {
    std::string name = f.name;
    if (openMetrics && std::string(f.type) == "counter" && name.ends_with("_total")) {
        name.resize(name.size() - 6);
    }
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
}

std::string number(double v) {
    return fmt::format("{}", v);
}

// uid is unique (a copy of `-i N` is api-N); script says what runs. No
// `instance`: Prometheus owns that label (the scraped target) and renames
// ours to exported_instance; forever-web(8) says why and how to group copies.
std::string labels(const cli::ProcessView& p) {
    return fmt::format("{{uid=\"{}\",script=\"{}\"}}", escapeLabel(p.uid), escapeLabel(p.script));
}

bool up(const cli::ProcessView& p) {
    return p.pid != 0 && (p.state == "running" || p.state == "reloading");
}

}  // namespace

std::string renderMetrics(const MetricsInput& in, bool openMetrics) {
    std::string out;
    out.reserve(256 + in.processes.size() * 900);
    using Value = double (*)(const cli::ProcessView&, const MetricsInput&);
    struct PerProcess {
        Family family;
        Value value;
    };
    static const PerProcess perProcess[] = {
        {{"forever_process_up", "gauge", "Whether the process is running (1) or not (0)."},
         [](const cli::ProcessView& p, const MetricsInput&) { return up(p) ? 1.0 : 0.0; }},
        {{"forever_process_cpu_seconds_total", "counter",
          "CPU time (user and system) of the process tree's current run, in seconds."},
         [](const cli::ProcessView& p, const MetricsInput& i) {
             auto it = i.cpuNsec.find(p.uid);
             return it == i.cpuNsec.end() ? 0.0 : static_cast<double>(it->second) / 1e9;
         }},
        {{"forever_process_resident_memory_bytes", "gauge",
          "Resident memory of the whole process tree, in bytes."},
         [](const cli::ProcessView& p, const MetricsInput&) {
             return static_cast<double>(p.memory);
         }},
        {{"forever_process_restarts_total", "counter", "Times foreverd started the process again."},
         [](const cli::ProcessView& p, const MetricsInput&) {
             return static_cast<double>(p.restarts);
         }},
        {{"forever_process_start_time_seconds", "gauge",
          "Start of the current (or last) run, seconds since the epoch; 0 if never."},
         [](const cli::ProcessView& p, const MetricsInput&) {
             return static_cast<double>(p.startedAtUs) / 1e6;
         }},
        {{"forever_process_crash_looping", "gauge",
          "Whether restarts are held back because the process keeps crashing."},
         [](const cli::ProcessView& p, const MetricsInput&) {
             return p.state == "crash-looping" ? 1.0 : 0.0;
         }},
    };
    for (const auto& metric : perProcess) {
        header(out, metric.family, openMetrics);
        for (const auto& p : in.processes) {
            out += fmt::format("{}{} {}\n", metric.family.name, labels(p),
                               number(metric.value(p, in)));
        }
    }
    const SupervisorFigures& s = in.supervisor;
    header(out, {"forever_supervisor_up", "gauge", "Whether foreverd answered this scrape."},
           openMetrics);
    out += fmt::format("forever_supervisor_up {}\n", s.up ? 1 : 0);
    if (s.up) {
        header(out, {"forever_supervisor_info", "gauge", "foreverd's version, as a label."},
               openMetrics);
        out += fmt::format("forever_supervisor_info{{version=\"{}\"}} 1\n", escapeLabel(s.version));
        header(out, {"forever_supervisor_processes", "gauge", "Processes supervised."},
               openMetrics);
        out += fmt::format("forever_supervisor_processes {}\n", in.processes.size());
    }
    if (s.cpuSeconds) {
        header(out,
               {"forever_supervisor_cpu_seconds_total", "counter",
                "CPU time used by foreverd itself, in seconds."},
               openMetrics);
        out += fmt::format("forever_supervisor_cpu_seconds_total {}\n", number(*s.cpuSeconds));
    }
    if (s.residentBytes) {
        header(out,
               {"forever_supervisor_resident_memory_bytes", "gauge",
                "Resident memory of foreverd itself, in bytes."},
               openMetrics);
        out += fmt::format("forever_supervisor_resident_memory_bytes {}\n", *s.residentBytes);
    }
    if (s.startTimeSeconds) {
        header(out,
               {"forever_supervisor_start_time_seconds", "gauge",
                "When foreverd started, seconds since the epoch."},
               openMetrics);
        out +=
            fmt::format("forever_supervisor_start_time_seconds {}\n", number(*s.startTimeSeconds));
    }
    if (openMetrics) {
        out += "# EOF\n";
    }
    return out;
}

}  // namespace forever::web
