#pragma once
// The ProcessControl seam with no processes behind it, for unit tests:
// spawn hands out pids and a stand-in pidfd (an eventfd, so the loop can
// watch it and closing it is harmless), signals are recorded and never
// kill anything, and a "process" dies only when the test says so, after
// which the supervisor reaps it as it would a real child.
#include <sys/eventfd.h>

#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/process_control.hpp"

namespace forever::test {

class FakeProcessControl : public ProcessControl {
  public:
    struct Signal {
        pid_t pid;   // negative: a process group
        int signal;  // as sent (pidfd signals name the pidfd's process)
        bool operator==(const Signal&) const = default;
    };
    struct Child {
        pid_t pid;
        int pidfd;  // the stand-in's number, for FakeEventLoop::fireReadable
        std::map<std::string, std::string> extraEnv;
        bool alive = true;
    };

    SpawnedProcess spawn(const SpawnRequest& request) override {
        if (!failNextSpawn.empty()) {
            std::string why = std::move(failNextSpawn);
            failNextSpawn.clear();
            throw SpawnError(why);
        }
        SpawnedProcess out;
        out.pid = nextPid_++;
        out.pidfd = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!out.pidfd) {
            throw SpawnError("eventfd failed");
        }
        children.push_back({out.pid, out.pidfd.get(), request.extraEnv});
        return out;
    }

    std::optional<Reaped> reapOne() override {
        if (exited_.empty()) {
            return std::nullopt;
        }
        Reaped r = exited_.front();
        exited_.pop_front();
        return r;
    }

    std::optional<Reaped> reapPidfd(int pidfd) override {
        for (const auto& c : children) {
            if (c.pidfd != pidfd) {
                continue;
            }
            for (auto it = exited_.begin(); it != exited_.end(); ++it) {
                if (it->pid == c.pid) {
                    Reaped r = *it;
                    exited_.erase(it);
                    return r;
                }
            }
        }
        return std::nullopt;
    }

    int kill(pid_t pid, int signal) override {
        if (signal != 0) {
            signals.push_back({pid, signal});
        }
        if (!isAlive(pid < 0 ? -pid : pid)) {
            errno = ESRCH;
            return -1;
        }
        return 0;
    }

    int signalPidfd(int pidfd, int signal) override {
        for (const auto& c : children) {
            if (c.pidfd == pidfd) {
                signals.push_back({c.pid, signal});
                return 0;
            }
        }
        errno = EBADF;
        return -1;
    }

    UniqueFd openPidfd(pid_t) override { return UniqueFd(); }

    std::optional<ProcStat> stat(pid_t pid) override {
        if (!isAlive(pid)) {
            return std::nullopt;
        }
        ProcStat st;
        st.pid = pid;
        st.pgid = pid;
        st.startTimeTicks = static_cast<uint64_t>(pid) * 10;
        return st;
    }

    std::vector<pid_t> descendants(pid_t) override { return {}; }
    std::vector<pid_t> descendantsCarrying(const std::string&, const std::string&) override {
        return {};
    }

    // The child `pid` ends with `status`: the next reapOne() returns it. The
    // test then fires the child's pidfd on the fake loop, as the kernel
    // would make it readable.
    void exit(pid_t pid, ExitStatus status) {
        for (auto& c : children) {
            if (c.pid == pid && c.alive) {
                c.alive = false;
                exited_.push_back({pid, status});
                return;
            }
        }
        throw std::logic_error("no live fake child with that pid");
    }

    const Child& last() const { return children.back(); }
    bool isAlive(pid_t pid) const {
        for (const auto& c : children) {
            if (c.pid == pid) {
                return c.alive;
            }
        }
        return false;
    }

    std::vector<Child> children;  // every spawn, in order
    std::vector<Signal> signals;  // every signal sent, in order
    std::string failNextSpawn;    // non-empty: the next spawn throws this

  private:
    pid_t nextPid_ = 1000;
    std::deque<Reaped> exited_;
};

}  // namespace forever::test
