#include "web/web_app.hpp"

#include <fmt/format.h>
#include <time.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/file_tail.hpp"
#include "cli/journal_reader.hpp"
#include "core/process_spec.hpp"
#include "web/dashboard_page.hpp"
#include "web/event_streams.hpp"
#include "web/prometheus_text.hpp"
#include "web/supervisor_figures.hpp"

namespace forever::web {

using nlohmann::json;

namespace {

constexpr uint64_t kRefreshDelayUs = 100000;  // coalesces a burst of signals

HttpResponse jsonResponse(unsigned status, const json& body) {
    return HttpResponse{status, "application/json", body.dump() + "\n"};
}

HttpResponse error(unsigned status, const std::string& message) {
    return jsonResponse(status, json{{"error", message}});
}

// A D-Bus failure as the HTTP status a client can act on.
HttpResponse busError(const std::string& name, const std::string& message) {
    if (name == "org.forever.Forever1.Error.NotFound" ||
        name == "org.freedesktop.DBus.Error.UnknownObject" ||
        name == "org.freedesktop.DBus.Error.UnknownMethod") {
        return error(404, "no such process");
    }
    if (name == "org.forever.Forever1.Error.AccessDenied" ||
        name == "org.freedesktop.DBus.Error.AccessDenied") {
        return error(403, message);
    }
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
        name == "org.freedesktop.DBus.Error.NoReply" ||
        name == "org.freedesktop.DBus.Error.Disconnected") {
        return error(503, "foreverd is not reachable: " + message);
    }
    return error(500, name + ": " + message);
}

int64_t realtimeUs() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

unsigned lineCount(const std::optional<std::string>& n) {
    unsigned value = 100;
    if (n) {
        auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
        if (ec != std::errc{} || end != n->data() + n->size()) {
            return 0;
        }
    }
    return value;
}

}  // namespace

WebApp::WebApp(sd_event* event, ForeverClient& client, GuardPolicy policy, EventStreams& streams)
    : event_(event),
      client_(client),
      policy_(std::move(policy)),
      streams_(streams),
      follow_(event, streams) {
    if (sd_event_add_time(event_, &refresh_, CLOCK_MONOTONIC, UINT64_MAX, 0, &WebApp::onRefresh,
                          this) < 0) {
        throw std::runtime_error("cannot add the refresh timer");
    }
    sd_event_source_set_enabled(refresh_, SD_EVENT_OFF);
}

WebApp::~WebApp() {
    sd_event_source_disable_unref(refresh_);
}

void WebApp::handle(const HttpRequest& request, const Reply& reply) {
    RequestFacts facts{request.method,
                       request.path,
                       request.header("host"),
                       request.header("origin"),
                       request.header("authorization"),
                       request.param("token")};
    if (auto refusal = checkRequest(policy_, facts)) {
        HttpResponse r = error(refusal->status, refusal->reason);
        if (refusal->status == 401) {
            r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"forever-web\"");
        }
        reply(std::move(r));
        return;
    }
    try {
        route(request, reply);
    } catch (const sdbus::Error& e) {
        reply(busError(e.getName(), e.getMessage()));
    } catch (const std::exception& e) {
        reply(error(500, e.what()));
    }
}

void WebApp::route(const HttpRequest& request, const Reply& reply) {
    const std::string& path = request.path;
    const bool read = request.method == "GET" || request.method == "HEAD";
    static const std::string kProcesses = "/api/processes/";
    if (path.rfind(kProcesses, 0) == 0 && path.size() > kProcesses.size()) {
        processRoute(request, path.substr(kProcesses.size()), reply);
        return;
    }
    if (path != "/" && path != "/metrics" && path != "/api/processes" && path != "/api/events") {
        reply(error(404, "no such page"));
        return;
    }
    if (!read) {
        reply(error(405, "read-only resource"));
        return;
    }
    if (path == "/") {
        HttpResponse page{200, "text/html; charset=utf-8",
                          std::string(kDashboardHtml, kDashboardHtmlSize)};
        // Inline script and style only, talking to this origin only.
        page.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; script-src 'unsafe-inline'; style-src "
                                  "'unsafe-inline'; img-src data:; connect-src 'self'; "
                                  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        page.headers.emplace_back("X-Frame-Options", "DENY");
        page.headers.emplace_back("Referrer-Policy", "no-referrer");
        reply(std::move(page));
    } else if (path == "/metrics") {
        reply(metrics(request));
    } else if (path == "/api/processes") {
        reply(HttpResponse{200, "application/json", processesJson() + "\n"});
    } else {
        reply(eventStream());
    }
}

void WebApp::processRoute(const HttpRequest& request, const std::string& rest, const Reply& reply) {
    const auto slash = rest.find('/');
    const std::string uid = rest.substr(0, slash);
    const std::string what = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!isValidUid(uid)) {
        reply(error(400, "invalid uid"));
        return;
    }
    const bool isAction = what == "stop" || what == "restart" || what == "reload";
    if (!isAction && what != "" && what != "metrics" && what != "logs") {
        reply(error(404, "no such page"));
        return;
    }
    if (isAction != (request.method == "POST")) {
        HttpResponse r = error(405, isAction ? "actions are POST only" : "read-only resource");
        r.headers.emplace_back("Allow", isAction ? "POST" : "GET, HEAD");
        reply(std::move(r));
        return;
    }
    if (isAction) {
        std::string verb = what;
        verb[0] = static_cast<char>(verb[0] - 'a' + 'A');
        client_.act(uid, verb, [reply, uid, what](const std::string& name, const std::string& m) {
            reply(name.empty() ? jsonResponse(200, json{{"uid", uid}, {"done", what}})
                               : busError(name, m));
        });
        return;
    }
    const auto all = client_.list();
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& p) { return p.uid == uid; });
    if (it == all.end()) {
        reply(error(404, "no such process"));
        return;
    }
    if (what.empty()) {
        reply(jsonResponse(200, cli::toJson(*it, realtimeUs())));
    } else if (what == "metrics") {
        json samples = json::array();
        for (const auto& s : client_.history(uid)) {
            samples.push_back({{"time", s.atUs / 1000},
                               {"memory", s.rssBytes},
                               {"cpu", s.cpuPercent},
                               {"cpuSeconds", static_cast<double>(s.cpuNsec) / 1e9}});
        }
        reply(jsonResponse(200, json{{"uid", uid}, {"samples", samples}}));
    } else {
        reply(logs(*it, request));
    }
}

HttpResponse WebApp::logs(const cli::ProcessView& p, const HttpRequest& request) {
    const unsigned n = lineCount(request.param("n"));
    if (n == 0 || n > 10000) {
        return error(400, "n must be 1-10000");
    }
    const auto follow = request.param("follow");
    const bool following = follow && *follow != "0" && *follow != "false";
    if (following) {
        // Watching first: a line written while the tail is read below is
        // sent twice at worst, never lost.
        try {
            follow_.watch(p);
        } catch (const std::runtime_error& e) {
            return error(502, e.what());
        }
    }
    json lines = json::array();
    std::string failure;
    const std::string file = !p.logFile.empty() ? p.logFile : p.outFile;
    bool ok = false;
    if (!file.empty()) {
        ok = cli::tailFile(
            file, n, false,
            [&](const std::string& line) {
                lines.push_back({{"message", line}});
                return true;
            },
            failure);
    } else {
        cli::JournalQuery query;
        query.uid = p.uid;
        query.lines = n;
        query.sameUserOnly = ::geteuid() != 0;
        ok = cli::readJournal(
            query,
            [&](const cli::JournalLine& line) {
                lines.push_back({{"time", line.realtimeUs / 1000},
                                 {"priority", line.priority},
                                 {"message", line.message},
                                 {"lifecycle", line.lifecycle}});
                return true;
            },
            failure);
    }
    if (!ok) {
        return error(502, failure);
    }
    const json body{{"uid", p.uid}, {"source", file.empty() ? "journal" : file}, {"lines", lines}};
    if (!following) {
        return jsonResponse(200, body);
    }
    // The tail as one "lines" event, then each new line as a "line" event.
    HttpResponse r{200, "text/event-stream",
                   "retry: 2000\n\n" + EventStreams::frame("lines", body.dump())};
    r.eventStream = true;
    r.streamChannel = LogFollow::channel(p.uid);
    return r;
}

HttpResponse WebApp::metrics(const HttpRequest& request) {
    MetricsInput input;
    try {
        input.processes = client_.list();
        input.cpuNsec = client_.cpuUsageNSec();
        input.supervisor.version = client_.version();
        input.supervisor.up = true;
        readSupervisorFigures(client_.supervisorPid(), input.supervisor);
    } catch (const sdbus::Error&) {
        input = MetricsInput{};  // foreverd down: say so, with no process series
    }
    const bool open = wantsOpenMetrics(request.header("accept").value_or(""));
    return HttpResponse{200, metricsContentType(open), renderMetrics(input, open)};
}

std::string WebApp::processesJson() {
    json out = json::array();
    const int64_t now = realtimeUs();
    for (const auto& p : client_.list()) {
        out.push_back(cli::toJson(p, now));
    }
    return out.dump();
}

HttpResponse WebApp::eventStream() {
    std::string first = "retry: 2000\n\n";
    std::string processes = "[]";
    try {
        processes = processesJson();
        supervisorUp_ = true;
    } catch (const sdbus::Error&) {
        supervisorUp_ = false;
    }
    first += EventStreams::frame("supervisor", json{{"up", supervisorUp_}}.dump());
    first += EventStreams::frame("processes", processes);
    HttpResponse r{200, "text/event-stream", std::move(first)};
    r.eventStream = true;
    return r;
}

void WebApp::processesChanged() {
    int enabled = SD_EVENT_OFF;
    sd_event_source_get_enabled(refresh_, &enabled);
    if (streams_.viewers() == 0 || enabled != SD_EVENT_OFF) {
        return;
    }
    uint64_t now = 0;
    sd_event_now(event_, CLOCK_MONOTONIC, &now);
    sd_event_source_set_time(refresh_, now + kRefreshDelayUs);
    sd_event_source_set_enabled(refresh_, SD_EVENT_ONESHOT);
}

void WebApp::supervisorAvailable(bool up) {
    supervisorUp_ = up;
    streams_.broadcast("supervisor", json{{"up", up}}.dump());
    if (up) {
        processesChanged();
    }
}

void WebApp::broadcastProcesses() {
    try {
        streams_.broadcast("processes", processesJson());
    } catch (const sdbus::Error& e) {
        // foreverd went away between the signal and the call: NameOwnerChanged
        // tells the viewers; nothing else to say.
    }
}

int WebApp::onRefresh(sd_event_source*, uint64_t, void* self) {
    static_cast<WebApp*>(self)->broadcastProcesses();
    return 0;
}

}  // namespace forever::web
