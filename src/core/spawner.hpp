#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>

#include "core/process_spec.hpp"
#include "core/unique_fd.hpp"

namespace forever {

// Where a child's stdout/stderr go.
enum class OutputTarget {
    Journal,  // a journald stream (opened by the supervisor), tagged with the uid
    Pipe,     // a pipe read by the supervisor (log files)
    Null,     // silent
};

struct SpawnRequest {
    const ProcessSpec* spec = nullptr;
    OutputTarget stdoutTo = OutputTarget::Journal;
    OutputTarget stderrTo = OutputTarget::Journal;
    // A listening socket passed as fd 3 with LISTEN_FDS=1 and LISTEN_PID
    // (systemd's socket activation protocol); -1 for none.
    int listenFd = -1;
    // Extra variables set on top of spec->env (e.g. FOREVER_UID).
    std::map<std::string, std::string> extraEnv;
};

struct SpawnedProcess {
    pid_t pid = 0;
    UniqueFd pidfd;
    UniqueFd stdoutPipe;  // read ends, when OutputTarget::Pipe
    UniqueFd stderrPipe;
    // /proc/<pid>/stat's start time (field 22) when known without reading
    // it (see spawnProcess), else 0.
    uint64_t startTimeTicks = 0;
};

class SpawnError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// clone(CLONE_VM|CLONE_VFORK) + exec in a new process group with a pidfd. The child gets exactly
// spec.env (minus the daemon's NOTIFY_SOCKET/WATCHDOG_*/LISTEN_*), a default
// signal mask and dispositions, stdin from /dev/null. exec failures (ENOENT,
// EACCES, a bad working directory) come back as SpawnError, not as a child
// that dies with 127.
SpawnedProcess spawnProcess(const SpawnRequest& request);

// Raises this process's soft RLIMIT_NOFILE to the hard limit: a supervisor
// holds about four descriptors per child (pidfd, two pipes, a notify
// socket), so 1000 children need more than the usual soft 1024. Children
// spawned afterwards get the old soft limit back, as programs using
// select() expect.
void raiseFileLimit();

// Variables a supervisor must never pass on to what it supervises.
bool isSupervisorOnlyVariable(const std::string& name);

}  // namespace forever
