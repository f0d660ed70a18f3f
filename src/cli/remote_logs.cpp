#include "cli/remote_logs.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <system_error>

#include "cli/bus_client.hpp"

extern char** environ;

namespace forever::cli {

namespace {
// ssh's own failures (connection, authentication) exit 255.
constexpr int kSshFailed = 255;
}  // namespace

std::string shellQuote(const std::string& word) {
    std::string out = "'";
    for (char c : word) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::string remoteLogCommand(const RemoteLogQuery& q) {
    if (!q.file.empty()) {
        return fmt::format("tail -n {}{} -- {}", q.lines, q.follow ? " -F" : "",
                           shellQuote(q.file));
    }
    std::string cmd = fmt::format("journalctl --no-pager --quiet --lines={}{} --output={}", q.lines,
                                  q.follow ? " --follow" : "",
                                  q.json    ? "json"
                                  : q.plain ? "cat"
                                            : "short-iso");
    // (SYSLOG_IDENTIFIER=uid [_UID=me]) OR (FOREVER_UID=uid [_UID=me]); the
    // remote user's uid is the remote shell's to expand.
    const std::string me = q.sameUserOnly ? " \"_UID=$(id -u)\"" : "";
    cmd += " " + shellQuote("SYSLOG_IDENTIFIER=" + q.uid) + me;
    cmd += " + " + shellQuote("FOREVER_UID=" + q.uid) + me;
    return cmd;
}

int runRemoteLogs(const HostSpec& host, const RemoteLogQuery& query, const SshSettings& ssh) {
    auto args = sshArgv(host, {remoteLogCommand(query)}, ssh);
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (int r = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ); r != 0) {
        throw CliError(kExitNotRunning,
                       fmt::format("{}: cannot run {}: {}", host.label(), ssh.program,
                                   std::generic_category().message(r)));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kSshFailed) {
        throw CliError(kExitNotRunning,
                       fmt::format("{}: ssh failed; the logs are not read", host.label()));
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status) == 0 ? kExitOk : kExitFailure;
    }
    return kExitOk;  // ended by a signal (Ctrl-C while following): as local `logs -f`
}

}  // namespace forever::cli
