#include "core/app_health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/file_watcher.hpp"
#include "core/http_probe.hpp"
#include "core/supervisor_error.hpp"

namespace forever {

void AppHealth::runBegan(Process& p) {
    armWatchdog(p);
    p.healthFailuresInRow = 0;
    p.healthProbe.reset();
    scheduleHealthCheck(p);
}

void AppHealth::runEnded(Process& p) {
    p.watchdogTimer.reset();
    p.healthTimer.reset();
    p.healthProbe.reset();
}

void AppHealth::onNotify(Process& p, pid_t sender, const NotifyFields& fields) {
    if (!p.alive()) {
        return;
    }
    // Only the app and what it started (its process group, or its tree):
    // the socket is abstract, so anyone on the machine could write to it.
    if (p.incoming && killPlan_.belongsTo(*p.incoming, sender)) {
        reports_.incoming(p, fields);
        return;
    }
    if (!killPlan_.belongsTo(p.run, sender)) {
        return;
    }
    bool changed = false;
    if (auto it = fields.find("STATUS"); it != fields.end() && it->second != p.run.statusText) {
        p.run.statusText = it->second;
        changed = true;
    }
    if (auto it = fields.find("READY"); it != fields.end() && it->second == "1" && !p.run.ready) {
        p.run.ready = true;
        if (p.state == ProcState::Starting) {
            p.state = ProcState::Running;
        }
        reports_.ready(p);
        changed = true;
    }
    if (auto it = fields.find("WATCHDOG"); it != fields.end()) {
        if (it->second == "1") {
            armWatchdog(p);
        } else if (it->second == "trigger") {
            p.watchdogTimer = loop_.addTimer(Millis(0), [this, &p] {
                p.watchdogTimer.reset();
                reports_.hung(p, "the app asked (WATCHDOG=trigger)");
            });
        }
    }
    if (changed) {
        reports_.changed(p);
    }
}

void AppHealth::armWatchdog(Process& p) {
    if (p.spec.watchdogSec == 0 || !p.alive()) {
        return;
    }
    p.watchdogTimer = loop_.addTimer(std::chrono::seconds(p.spec.watchdogSec), [this, &p] {
        p.watchdogTimer.reset();
        if (!p.alive() || p.pending != Process::Pending::None) {
            return;
        }
        reports_.hung(p, fmt::format("no WATCHDOG=1 for {} s", p.spec.watchdogSec));
    });
}

void AppHealth::scheduleHealthCheck(Process& p) {
    std::string error;
    auto url = parseHttpUrl(p.spec.healthUrl, error);
    if (!url || !p.alive()) {
        return;
    }
    const Millis interval = std::chrono::seconds(p.spec.healthInterval);
    // The first check waits one interval: the app needs time to listen.
    p.healthTimer = loop_.addTimer(interval, [this, &p, url = *url, interval] {
        p.healthTimer.reset();
        if (!p.alive() || p.pending != Process::Pending::None) {
            return;
        }
        const Millis timeout = std::min<Millis>(interval, Millis(5000));
        p.healthProbe = std::make_unique<HttpProbe>(
            loop_, url, timeout, [this, &p](bool ok, const std::string& detail) {
                // Safe here: the probe touches nothing after calling us.
                p.healthProbe.reset();
                if (!p.alive()) {
                    return;
                }
                if (ok) {
                    p.healthFailuresInRow = 0;
                } else if (++p.healthFailuresInRow >= p.spec.healthFailures) {
                    const std::string why =
                        fmt::format("{} failed health checks in a row (last: {})",
                                    p.healthFailuresInRow, detail);
                    p.healthFailuresInRow = 0;
                    reports_.unhealthy(p, why);
                    return;
                }
                scheduleHealthCheck(p);
            });
    });
}

void AppHealth::startWatching(Process& p) {
    std::filesystem::path root = p.spec.watchDirectory.empty()
                                     ? std::filesystem::path(p.spec.script).parent_path()
                                     : std::filesystem::path(p.spec.watchDirectory);
    Process* raw = &p;
    try {
        p.watcher =
            std::make_unique<FileWatcher>(loop_, root, p.spec.watchIgnorePatterns, Millis(300),
                                          [this, raw](const std::string& changed) {
                                              if (raw->pending != Process::Pending::None) {
                                                  return;  // already stopping or restarting
                                              }
                                              reports_.fileChanged(*raw, changed);
                                          });
    } catch (const std::system_error& e) {
        throw SupervisorError(SupervisorError::Code::InvalidArgument,
                              fmt::format("cannot watch {}: {}", root.string(), e.what()));
    }
}

std::optional<std::string> AppHealth::overMemory(const Process& p, uint64_t rssBytes) {
    if (p.spec.maxMemory == 0 || rssBytes <= p.spec.maxMemory || p.state != ProcState::Running) {
        return std::nullopt;
    }
    return fmt::format("{}: memory {} bytes is above maxMemory {}; restarting", p.spec.uid,
                       rssBytes, p.spec.maxMemory);
}

}  // namespace forever
