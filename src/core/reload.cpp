// `reload`: the zero-downtime replacement of a running process. The new run
// is started beside the old one; once it is ready (READY=1 with waitReady,
// otherwise alive for minUptime and, with a health URL, answering 2xx) it
// becomes the current run and the old one is stopped like a `stop` would.
// Until then the old run serves alone and nothing about it changes: a new
// run that dies or is not ready within reloadTimeout is stopped, and the
// reload fails with the reason.
#include <fmt/format.h>

#include "core/http_probe.hpp"
#include "core/output_capture.hpp"
#include "core/supervisor.hpp"

namespace forever {

void Supervisor::reload(Process& p, Outcome done) {
    if (p.pending == Process::Pending::Remove) {
        throw SupervisorError(SupervisorError::Code::Busy,
                              fmt::format("'{}' is being stopped", p.spec.uid));
    }
    if (p.pending != Process::Pending::None) {
        throw SupervisorError(SupervisorError::Code::Busy,
                              fmt::format("'{}' is being restarted", p.spec.uid));
    }
    if (p.incoming) {
        p.reloadWaiters.push_back(std::move(done));  // one reload serves every caller
        return;
    }
    if (!p.alive()) {
        // Nothing is serving, so there is no downtime to avoid.
        restart(p, [done = std::move(done)] { done({}); });
        return;
    }
    p.incoming =
        std::make_unique<Run>(launcher_.launch(p));  // a spawn failure throws; nothing changed
    table_.reloadBegan(p);
    p.reloadWaiters.push_back(std::move(done));
    p.state = ProcState::Reloading;
    p.reloadTimer = loop_.addTimer(p.spec.reloadTimeout, [this, &p] {
        p.reloadTimer.reset();
        abandonReload(
            p, fmt::format("the new run was not ready within {} ms", p.spec.reloadTimeout.count()));
    });
    if (!p.spec.waitReady) {
        p.reloadGate = loop_.addTimer(p.spec.minUptime, [this, &p] {
            p.reloadGate.reset();
            if (p.spec.healthUrl.empty()) {
                takeOver(p,
                         fmt::format("the new run stayed up for {} ms", p.spec.minUptime.count()));
            } else {
                probeIncoming(p);
            }
        });
    }
    emit(SupervisorEvent::Kind::Changed, p);
}

void Supervisor::onIncomingNotify(Process& p, const NotifyFields& fields) {
    if (auto it = fields.find("STATUS"); it != fields.end()) {
        p.incoming->statusText = it->second;
    }
    if (auto it = fields.find("READY"); it != fields.end() && it->second == "1") {
        p.incoming->ready = true;
        if (p.spec.waitReady) {
            takeOver(p, "the new run sent READY=1");
        }
    }
    // WATCHDOG=1 from the new run counts once it is current: its first
    // period starts at the takeover.
}

void Supervisor::probeIncoming(Process& p) {
    std::string error;
    auto url = parseHttpUrl(p.spec.healthUrl, error);
    if (!url) {
        takeOver(p, "no usable health URL");  // validated at start; cannot happen
        return;
    }
    p.reloadProbe = std::make_unique<HttpProbe>(
        loop_, *url, Millis(2000), [this, &p](bool ok, const std::string&) {
            p.reloadProbe.reset();  // the probe touches nothing after calling us
            if (ok) {
                takeOver(p, fmt::format("{} answered", p.spec.healthUrl));
                return;
            }
            p.reloadGate = loop_.addTimer(Millis(250), [this, &p] {
                p.reloadGate.reset();
                probeIncoming(p);
            });
        });
}

void Supervisor::takeOver(Process& p, const std::string& why) {
    Run old = std::move(p.run);
    p.run = std::move(*p.incoming);
    p.incoming.reset();
    table_.reloadEnded(p);
    p.reloadTimer.reset();
    p.reloadGate.reset();
    p.reloadProbe.reset();
    p.restarts++;
    if (old.pid > 0) {
        p.lastPid = old.pid;
    }
    const std::string swap =
        old.pid > 0 ? fmt::format("pid {} replaced by pid {}: {}", old.pid, p.run.pid, why)
                    : fmt::format("pid {} took over: {}", p.run.pid, why);
    retire(p, std::move(old));
    becomeCurrent(p);
    emit(SupervisorEvent::Kind::Started, p);
    emit(SupervisorEvent::Kind::Reloaded, p, swap);
    finishReload(p, {});
}

void Supervisor::abandonReload(Process& p, const std::string& why) {
    if (!p.incoming) {
        return;
    }
    Run incoming = std::move(*p.incoming);
    p.incoming.reset();
    table_.reloadEnded(p);
    p.reloadTimer.reset();
    p.reloadGate.reset();
    p.reloadProbe.reset();
    retire(p, std::move(incoming));
    if (p.state == ProcState::Reloading) {
        p.state = p.spec.waitReady && !p.run.ready ? ProcState::Starting : ProcState::Running;
    }
    emit(SupervisorEvent::Kind::ReloadFailed, p, why);
    emit(SupervisorEvent::Kind::Changed, p);
    finishReload(p, why);
}

void Supervisor::finishReload(Process& p, const std::string& failure) {
    auto waiters = std::move(p.reloadWaiters);
    p.reloadWaiters.clear();
    for (auto& w : waiters) {
        w(failure);
    }
}

}  // namespace forever
