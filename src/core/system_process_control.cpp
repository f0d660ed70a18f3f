// ProcessControl on the running kernel.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pidfd.hpp"
#include "core/process_control.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3  // linux/wait.h; glibc 2.36's sys/wait.h may lack it
#endif

namespace forever {

namespace {

class SystemProcessControl final : public ProcessControl {
  public:
    SpawnedProcess spawn(const SpawnRequest& request) override { return spawnProcess(request); }

    std::optional<Reaped> reapOne() override {
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0) {
            return std::nullopt;  // ECHILD or nothing more to reap
        }
        return Reaped{info.si_pid, info.si_code == CLD_EXITED ? ExitStatus::exited(info.si_status)
                                                              : ExitStatus::killed(info.si_status)};
    }

    std::optional<Reaped> reapPidfd(int pidfd) override {
        siginfo_t info{};
        if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info,
                     WEXITED | WNOHANG) < 0 ||
            info.si_pid == 0) {
            return std::nullopt;  // running still, or reaped by reapOne already
        }
        return Reaped{info.si_pid, info.si_code == CLD_EXITED ? ExitStatus::exited(info.si_status)
                                                              : ExitStatus::killed(info.si_status)};
    }

    int kill(pid_t pid, int signal) override { return ::kill(pid, signal); }

    int signalPidfd(int pidfd, int signal) override {
        return ::pidfd_send_signal(pidfd, signal, nullptr, 0);
    }

    UniqueFd openPidfd(pid_t pid) override {
        return UniqueFd(static_cast<int>(::pidfd_open(pid, 0)));
    }

    std::optional<ProcStat> stat(pid_t pid) override { return readStat(pid); }

    std::vector<pid_t> descendants(pid_t root) override { return forever::descendants(root); }

    std::vector<pid_t> descendantsCarrying(const std::string& entry,
                                           const std::string& unless) override {
        return forever::descendantsCarrying(::getpid(), entry, unless);
    }
};

}  // namespace

ProcessControl& systemProcessControl() {
    static SystemProcessControl control;
    return control;
}

}  // namespace forever
