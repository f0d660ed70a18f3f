#include "daemon/journal_events.hpp"

#include <fmt/format.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <cstdio>

namespace forever {

namespace {
struct Entry {
    const char* event;
    int priority;
    std::string message;
};
}  // namespace

void JournalEvents::record(const SupervisorEvent& e) {
    const Process& p = *e.process;
    const std::string& uid = p.spec.uid;
    Entry entry{};
    switch (e.kind) {
        case SupervisorEvent::Kind::Started:
            entry = {p.restarts ? "restart" : "start", LOG_INFO,
                     fmt::format("{}: started {} (pid {}{})", uid, p.spec.script, p.run.pid,
                                 p.restarts ? fmt::format(", restart #{}", p.restarts) : "")};
            break;
        case SupervisorEvent::Kind::Exited:
            entry = {"exit", e.status.isClean() ? LOG_INFO : LOG_WARNING,
                     fmt::format("{}: exited with {}", uid, e.status.describe())};
            break;
        case SupervisorEvent::Kind::CrashLoop:
            entry = {"crash-loop", LOG_CRIT, fmt::format("{}: crash loop: {}", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::GaveUp:
            entry = {"give-up", LOG_ERR, fmt::format("{}: not restarted: {}", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::Removed:
            entry = {"stop", LOG_INFO, fmt::format("{}: stopped and removed", uid)};
            break;
        case SupervisorEvent::Kind::Ready:
            entry = {"ready", LOG_INFO, fmt::format("{}: ready (READY=1)", uid)};
            break;
        case SupervisorEvent::Kind::Watchdog:
            entry = {"watchdog", LOG_ERR,
                     fmt::format("{}: watchdog: {}; killing it", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::Unhealthy:
            entry = {"unhealthy", LOG_ERR, fmt::format("{}: {}; restarting", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::FileChanged:
            entry = {"watch", LOG_INFO, fmt::format("{}: {} changed; restarting", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::Reloaded:
            entry = {"reload", LOG_INFO, fmt::format("{}: reloaded: {}", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::ReloadFailed:
            entry = {
                "reload-failed", LOG_ERR,
                fmt::format("{}: reload failed, the old run keeps serving: {}", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::LogError:
            entry = {"log-error", LOG_ERR, fmt::format("{}: log: {}", uid, e.reason)};
            break;
        case SupervisorEvent::Kind::Added:
        case SupervisorEvent::Kind::Changed:
            return;
    }
    note(p, entry.event, entry.priority, entry.message, e.reason);
}

void JournalEvents::note(const Process& p, const char* event, int priority,
                         const std::string& message, const std::string& reason) {
    if (!journal_) {
        std::fprintf(stderr, "<%d>%s\n", priority, message.c_str());
        return;
    }
    const std::string& uid = p.spec.uid;
    std::string code = p.hasExited ? std::to_string(p.lastExit.code) : "";
    std::string sig = p.hasExited && p.lastExit.signal ? std::to_string(p.lastExit.signal) : "";
    sd_journal_send("MESSAGE=%s", message.c_str(), "PRIORITY=%d", priority,
                    "SYSLOG_IDENTIFIER=foreverd", "FOREVER_UID=%s", uid.c_str(), "FOREVER_EVENT=%s",
                    event, "FOREVER_PID=%d", p.run.pid ? p.run.pid : p.lastPid, "FOREVER_SCRIPT=%s",
                    p.spec.script.c_str(), "FOREVER_RESTARTS=%u", p.restarts,
                    "FOREVER_EXIT_CODE=%s", code.c_str(), "FOREVER_EXIT_SIGNAL=%s", sig.c_str(),
                    "FOREVER_REASON=%s", reason.c_str(), nullptr);
}

void JournalEvents::daemonMessage(int priority, const std::string& message) {
    if (journal_) {
        sd_journal_send("MESSAGE=%s", message.c_str(), "PRIORITY=%d", priority,
                        "SYSLOG_IDENTIFIER=foreverd", nullptr);
    } else {
        std::fprintf(stderr, "<%d>%s\n", priority, message.c_str());
    }
}

}  // namespace forever
