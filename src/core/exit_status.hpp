#pragma once

#include <string>

namespace forever {

// How a process ended, as waitid() reports it. Exactly one of code/signal is
// meaningful: PM2 reports 0 for a process killed by a signal, we keep both.
struct ExitStatus {
    int code = -1;   // exit status, or -1 when killed by a signal
    int signal = 0;  // terminating signal, or 0 when it exited

    static ExitStatus exited(int code) { return {code, 0}; }
    static ExitStatus killed(int signal) { return {-1, signal}; }

    // systemd's notion of a clean exit: status 0, or death by SIGHUP, SIGINT,
    // SIGTERM or SIGPIPE (the signals a service is expected to die of).
    bool isClean() const;

    // "exit code 3", "signal SIGKILL"
    std::string describe() const;
};

// "SIGTERM" for 15, "SIG42" for unknown numbers.
std::string signalName(int signal);

// Accepts "SIGTERM", "TERM", "sigterm" and "15"; returns 0 if not a signal.
int parseSignal(const std::string& text);

}  // namespace forever
