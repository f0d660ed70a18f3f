#include "core/kill_plan.hpp"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace forever {

void KillPlan::beginStop(Process& p) {
    signalRun(p, p.spec.killSignal);
    if (p.spec.killSignal == SIGKILL) {
        return;
    }
    Process* raw = &p;
    p.timer = loop_.addTimer(p.spec.killTimeout, [this, raw] {
        raw->timer.reset();
        signalRun(*raw, SIGKILL);
    });
}

int KillPlan::signalMain(const Run& run, int signal) {
    if (run.pidfd) {
        return control_.signalPidfd(run.pidfd.get(), signal);
    }
    return control_.kill(run.pid, signal);
}

void KillPlan::signalRun(const Process& p, int signal) {
    if (!p.alive()) {
        return;
    }
    if (p.spec.killTree) {
        for (pid_t pid : control_.descendants(p.run.pid)) {
            control_.kill(pid, signal);
        }
        for (pid_t pid : straysOf(p)) {
            control_.kill(pid, signal);
        }
    }
    control_.kill(-p.run.pid, signal);
    signalMain(p.run, signal);
}

void KillPlan::sweepGroup(pid_t pgid, int signal, Millis timeout) {
    const bool groupExists = control_.kill(-pgid, 0) == 0 || errno == EPERM;
    if (!groupExists) {
        return;
    }
    control_.kill(-pgid, signal);
    auto* slot = &sweepers_.emplace_back();
    *slot = loop_.addTimer(timeout, [this, pgid] { control_.kill(-pgid, SIGKILL); });
    // Drop fired or useless sweepers now and then; the list stays tiny.
    if (sweepers_.size() > 64) {
        sweepers_.erase(sweepers_.begin(), sweepers_.begin() + 32);
    }
}

bool KillPlan::belongsTo(const Run& run, pid_t pid) {
    if (run.pid <= 0) {
        return false;
    }
    if (pid == run.pid) {
        return true;
    }
    auto st = control_.stat(pid);
    if (st && st->pgid == run.pid) {
        return true;
    }
    // The /proc walk only for processes that left the group.
    auto tree = control_.descendants(run.pid);
    return std::find(tree.begin(), tree.end(), pid) != tree.end();
}

// Processes carrying the app's FOREVER_UID, except the incoming run of a
// reload (it carries the same uid and must survive the old run's end).
std::vector<pid_t> KillPlan::straysOf(const Process& p) {
    auto pids =
        control_.descendantsCarrying("FOREVER_UID=" + p.spec.uid, "FOREVER_EVENT=crash-loop");
    if (p.incoming) {
        std::erase_if(pids, [&](pid_t pid) { return belongsTo(*p.incoming, pid); });
    }
    return pids;
}

void KillPlan::stopStrays(const Process& p) {
    if (!p.spec.killTree) {
        return;
    }
    // pidfds, so the SIGKILL later can never hit a recycled pid.
    auto fds = std::make_shared<std::vector<UniqueFd>>();
    for (pid_t pid : straysOf(p)) {
        if (pid == p.run.pid) {
            continue;
        }
        UniqueFd fd = control_.openPidfd(pid);
        if (fd) {
            control_.signalPidfd(fd.get(), p.spec.killSignal);
            fds->push_back(std::move(fd));
        }
    }
    if (fds->empty() || p.spec.killSignal == SIGKILL) {
        return;
    }
    auto* slot = &sweepers_.emplace_back();
    *slot = loop_.addTimer(p.spec.killTimeout, [this, fds] {
        for (const auto& fd : *fds) {
            control_.signalPidfd(fd.get(), SIGKILL);
        }
    });
}

void KillPlan::retire(const Process& p, Run& run) {
    if (run.pid <= 0) {
        return;
    }
    const int signal = p.spec.killSignal;
    // Collected before the signal: once the main process dies, its
    // children are reparented and its tree is gone from /proc.
    std::vector<pid_t> tree =
        p.spec.killTree ? control_.descendants(run.pid) : std::vector<pid_t>{};
    sweepGroup(run.pid, signal, p.spec.killTimeout);
    for (pid_t pid : tree) {
        control_.kill(pid, signal);
    }
    signalMain(run, signal);
    if (signal != SIGKILL && run.pidfd) {
        // By pidfd: the main process may have left its group, and a
        // recycled pid must never be hit.
        auto fd = std::make_shared<UniqueFd>(std::move(run.pidfd));
        auto* slot = &sweepers_.emplace_back();
        *slot = loop_.addTimer(p.spec.killTimeout,
                               [this, fd] { control_.signalPidfd(fd->get(), SIGKILL); });
    }
}

void KillPlan::killLeftover(pid_t pid, uint64_t startTime) {
    auto st = control_.stat(pid);
    if (!st || st->startTimeTicks != startTime) {
        return;  // gone, or the pid now belongs to someone else
    }
    UniqueFd fd = control_.openPidfd(pid);
    control_.kill(-pid, SIGKILL);
    control_.kill(pid, SIGKILL);
    if (fd) {
        struct pollfd pfd {
            fd.get(), POLLIN, 0
        };
        ::poll(&pfd, 1, 2000);
    }
}

}  // namespace forever
