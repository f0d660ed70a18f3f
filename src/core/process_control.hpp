#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/exit_status.hpp"
#include "core/proc_tree.hpp"
#include "core/spawner.hpp"
#include "core/unique_fd.hpp"

namespace forever {

// Every call the supervisor makes on processes (spawn, signal, reap, read
// /proc), behind one narrow seam beside EventLoop: its state machine can
// then be driven by a test with fakes of both, no process involved.
class ProcessControl {
  public:
    struct Reaped {
        pid_t pid = 0;
        ExitStatus status;
    };

    virtual ~ProcessControl() = default;

    // spawnProcess (spawner.hpp); throws SpawnError.
    virtual SpawnedProcess spawn(const SpawnRequest& request) = 0;
    // One exited child, reaped; nullopt when none is left (never blocks).
    // It walks every child (waitid P_ALL): for orphans only, not per exit.
    virtual std::optional<Reaped> reapOne() = 0;
    // The child `pidfd` refers to, reaped if it has exited; nullopt when it
    // has not, or was reaped already (never blocks; costs one child).
    virtual std::optional<Reaped> reapPidfd(int pidfd) = 0;
    // kill(2): a process (pid > 0) or a group (-pgid); 0, or -1 with errno.
    virtual int kill(pid_t pid, int signal) = 0;
    // pidfd_send_signal(2): the process the pidfd was opened on, never a
    // recycled pid; 0, or -1 with errno.
    virtual int signalPidfd(int pidfd, int signal) = 0;
    // An invalid fd when the process is gone.
    virtual UniqueFd openPidfd(pid_t pid) = 0;
    // /proc/PID/stat; nullopt when the process is gone.
    virtual std::optional<ProcStat> stat(pid_t pid) = 0;
    // The process tree below `root` (proc_tree.hpp).
    virtual std::vector<pid_t> descendants(pid_t root) = 0;
    // Descendants of this supervisor carrying the environment entry `entry`
    // and not `unless` (proc_tree.hpp descendantsCarrying).
    virtual std::vector<pid_t> descendantsCarrying(const std::string& entry,
                                                   const std::string& unless) = 0;
};

// The real thing: fork/exec, kill, waitid, /proc. One per process.
ProcessControl& systemProcessControl();

}  // namespace forever
