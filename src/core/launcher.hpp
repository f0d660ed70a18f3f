#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/log_files.hpp"
#include "core/notify_socket.hpp"
#include "core/process.hpp"
#include "core/process_control.hpp"
#include "core/supervisor_error.hpp"

namespace forever {

class OutputCapture;
class ProcessTable;

// Starting a run: the spawn request (FOREVER_UID, NOTIFY_SOCKET,
// WATCHDOG_USEC, the listen socket as fd 3, where output goes), the
// capture of piped output into log files, and the pidfd watch that tells
// the supervisor the run ended. Also keeps reading the pipes of runs that
// are gone while an orphan still writes to them.
class Launcher {
  public:
    struct Callbacks {
        // Output of `p` has nowhere to go (a log file failed to open...).
        std::function<void(Process& p, const std::string& message)> logError;
        // A message on the notify socket, from `sender` (whose app is the
        // Supervisor's to find).
        std::function<void(pid_t sender, const NotifyFields& fields)> notified;
        // A run's pidfd turned readable: it exited.
        std::function<void(int pidfd)> childExited;
    };

    Launcher(EventLoop& loop, ProcessControl& control, LogFiles& logFiles,
             const SupervisorOptions& options, Callbacks callbacks);
    ~Launcher();

    // A new run of `p`, spawned and watched, not yet its current one;
    // throws SupervisorError(SpawnFailed).
    Run launch(Process& p);
    // launch() in two steps, so the spawn between them may run off the loop
    // (bulk_start.cpp): the request (it points into p.spec, which must not
    // change until the spawn is done), then the spawned process made a run.
    SpawnRequest requestFor(Process& p);
    Run adopt(Process& p, SpawnedProcess spawned);
    // The socket of spec.listen: shared with the instances of the same app
    // in `table`, else bound now. Throws SupervisorError.
    UniqueFd listenSocketFor(const ProcessSpec& spec, const ProcessTable& table);
    // `run` is over: its output is read on while a grandchild still holds
    // the pipes, then dropped.
    void drainOutput(Run& run);
    // The crash-loop alert command of `p` (alertCommand), not supervised:
    // it is reaped like any orphan.
    void runAlert(Process& p);

  private:
    void chooseOutput(const Process& p, SpawnRequest& request) const;
    std::unique_ptr<OutputCapture> captureOutput(Process& p, SpawnedProcess& spawned);

    EventLoop& loop_;
    ProcessControl& control_;
    LogFiles& logFiles_;
    const SupervisorOptions& options_;
    Callbacks callbacks_;
    std::vector<std::unique_ptr<OutputCapture>> draining_;  // pipes still held by orphans
    std::unique_ptr<NotifySocket> notify_;                  // made at the first launch
};

}  // namespace forever
