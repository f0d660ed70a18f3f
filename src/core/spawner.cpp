#include "core/spawner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>
#include "core/pidfd.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace forever {

bool isSupervisorOnlyVariable(const std::string& name) {
    return name == "NOTIFY_SOCKET" || name.rfind("WATCHDOG_", 0) == 0 ||
           name.rfind("LISTEN_", 0) == 0 || name == "INVOCATION_ID" || name == "JOURNAL_STREAM" ||
           name == "MANAGERPID" || name == "SYSTEMD_EXEC_PID";
}

namespace {

// Async-signal-safe: the child may not call snprintf.
void writeDecimal(char* out, pid_t value) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (n > 0) {
        *out++ = digits[--n];
    }
    *out = '\0';
}

// What the child reports through the close-on-exec pipe when it cannot exec.
struct ChildFailure {
    int stage;
    int error;
};
enum Stage { kStdio = 1, kJournal, kChdir, kUser, kExec };

const char* stageText(int stage) {
    switch (stage) {
        case kStdio:
            return "cannot set up stdio";
        case kJournal:
            return "cannot connect to journald";
        case kChdir:
            return "cannot change to the working directory";
        case kUser:
            return "cannot switch to the owner's user";
        default:
            return "cannot execute";
    }
}

[[noreturn]] void failInChild(int errorPipe, Stage stage) {
    ChildFailure failure{stage, errno};
    ssize_t ignored = ::write(errorPipe, &failure, sizeof failure);
    (void)ignored;
    ::_exit(127);
}

int openOutput(OutputTarget target, int pipeWriteEnd, const std::string& ident, int priority,
               int errorPipe) {
    switch (target) {
        case OutputTarget::Journal: {
            int fd = sd_journal_stream_fd(ident.c_str(), priority, 0);
            if (fd < 0) {
                errno = -fd;
                failInChild(errorPipe, kJournal);
            }
            return fd;
        }
        case OutputTarget::Pipe:
            return pipeWriteEnd;
        case OutputTarget::Null:
            break;
    }
    int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        failInChild(errorPipe, kStdio);
    }
    return fd;
}

void moveTo(int fd, int target, int errorPipe) {
    if (fd == target) {
        // dup2 would be a no-op and leave O_CLOEXEC set.
        if (::fcntl(fd, F_SETFD, 0) < 0) {
            failInChild(errorPipe, kStdio);
        }
        return;
    }
    if (::dup2(fd, target) < 0) {
        failInChild(errorPipe, kStdio);
    }
}

// The soft file limit children get (RLIM_INFINITY: leave theirs alone).
struct rlimit childFileLimit {
    RLIM_INFINITY, RLIM_INFINITY
};

}  // namespace

void raiseFileLimit() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) {
        return;
    }
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
        childFileLimit = limit;
    }
}

namespace {

// Everything the child needs, built before fork so the child only calls
// what is safe there. Pinned in place: argv and envp point into it.
struct ExecPlan {
    explicit ExecPlan(const SpawnRequest& request);
    ExecPlan(const ExecPlan&) = delete;
    ExecPlan& operator=(const ExecPlan&) = delete;

    std::vector<std::string> args;
    std::vector<char*> argv;
    std::vector<std::string> envStrings;
    std::vector<char*> envp;
    // LISTEN_PID is the child's own pid, known only after fork: the child
    // writes it into this placeholder (its copy of the string).
    char* listenPidDigits = nullptr;
    std::string cwd;
    // System mode: the owner's identity, looked up before fork.
    bool switchUser = false;
    gid_t runGid = 0;
    std::string runUser;
};

ExecPlan::ExecPlan(const SpawnRequest& request) {
    const ProcessSpec& spec = *request.spec;
    args = spec.argv();
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    for (const auto& [name, value] : spec.env) {
        if (!isSupervisorOnlyVariable(name) && !request.extraEnv.count(name)) {
            envStrings.push_back(name + "=" + value);
        }
    }
    for (const auto& [name, value] : request.extraEnv) {
        envStrings.push_back(name + "=" + value);
    }
    if (request.listenFd >= 0) {
        envStrings.push_back("LISTEN_FDS=1");
        envStrings.push_back("LISTEN_FDNAMES=listen");
        envStrings.push_back("LISTEN_PID=" + std::string(20, '\0'));
    }
    for (auto& e : envStrings) {
        envp.push_back(e.data());
    }
    if (request.listenFd >= 0) {
        listenPidDigits = envStrings.back().data() + std::strlen("LISTEN_PID=");
    }
    envp.push_back(nullptr);
    cwd = spec.workingDir;
    if (cwd.empty()) {
        cwd = std::filesystem::path(spec.script).parent_path().string();
    }
    switchUser = spec.runAsUid >= 0 && static_cast<uid_t>(spec.runAsUid) != ::geteuid();
    if (switchUser) {
        struct passwd pw {};
        struct passwd* found = nullptr;
        std::vector<char> buf(16384);
        if (::getpwuid_r(static_cast<uid_t>(spec.runAsUid), &pw, buf.data(), buf.size(), &found) !=
                0 ||
            !found) {
            throw SpawnError(fmt::format("no user with uid {}", spec.runAsUid));
        }
        runGid = pw.pw_gid;
        runUser = pw.pw_name;
    }
}

void makePipe(UniqueFd& r, UniqueFd& w) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) {
        throw SpawnError(fmt::format("pipe: {}", std::strerror(errno)));
    }
    r.reset(fds[0]);
    w.reset(fds[1]);
}

// The child, between fork and exec: its own group, default signals, stdio,
// the listen socket as fd 3, the owner's identity, the working directory.
// A failure is written to `ep` as a ChildFailure and the child exits.
[[noreturn]] void execChild(const SpawnRequest& request, const ExecPlan& plan, int ep, int outWrite,
                            int errWrite) {
    const ProcessSpec& spec = *request.spec;
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            ::signal(sig, SIG_DFL);
        }
    }
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        failInChild(ep, kStdio);
    }
    int out = openOutput(request.stdoutTo, outWrite, spec.uid, LOG_INFO, ep);
    int err = openOutput(request.stderrTo, errWrite, spec.uid, LOG_ERR, ep);
    // Move fds out of the 0..2 range first so dup2 cannot clobber one
    // with another.
    auto high = [ep](int fd) {
        int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) {
            failInChild(ep, kStdio);
        }
        return moved;
    };
    in = high(in);
    out = high(out);
    err = high(err);
    int listen = request.listenFd >= 0 ? high(request.listenFd) : -1;
    moveTo(in, 0, ep);
    moveTo(out, 1, ep);
    moveTo(err, 2, ep);
    if (listen >= 0) {
        moveTo(listen, 3, ep);
        writeDecimal(plan.listenPidDigits, ::getpid());
    }
    if (plan.switchUser &&
        (::initgroups(plan.runUser.c_str(), plan.runGid) < 0 || ::setgid(plan.runGid) < 0 ||
         ::setuid(static_cast<uid_t>(spec.runAsUid)) < 0)) {
        failInChild(ep, kUser);
    }
    if (::chdir(plan.cwd.c_str()) < 0) {
        failInChild(ep, kChdir);
    }
    // Last: until exec the child still holds the supervisor's
    // descriptors (close-on-exec), possibly above the old limit, and
    // opening stdio under it would fail with EMFILE.
    if (childFileLimit.rlim_cur != RLIM_INFINITY) {
        ::setrlimit(RLIMIT_NOFILE, &childFileLimit);
    }
    ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
    failInChild(ep, kExec);
}

// Waits for the exec (the error pipe closes) or the child's report of why
// it failed, which is thrown after reaping it.
void awaitExec(pid_t pid, const UniqueFd& errorRead, const SpawnRequest& request,
               const ExecPlan& plan) {
    ChildFailure failure{};
    ssize_t n;
    do {
        n = ::read(errorRead.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof failure)) {
        return;
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string what = failure.stage == kExec ? plan.args.front() : plan.cwd;
    if (failure.stage == kJournal || failure.stage == kStdio) {
        what = request.spec->uid;
    }
    throw SpawnError(
        fmt::format("{} {}: {}", stageText(failure.stage), what, std::strerror(failure.error)));
}

// A pidfd for the new child, or the child is killed and reaped.
UniqueFd pidfdOrKill(pid_t pid) {
    int pidfd = static_cast<int>(::pidfd_open(pid, 0));
    if (pidfd < 0) {
        int saved = errno;
        ::kill(pid, SIGKILL);
        int status;
        ::waitpid(pid, &status, 0);
        throw SpawnError(fmt::format("pidfd_open: {}", std::strerror(saved)));
    }
    ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    return UniqueFd(pidfd);
}

}  // namespace

SpawnedProcess spawnProcess(const SpawnRequest& request) {
    const ExecPlan plan(request);

    int errorPipe[2];
    if (::pipe2(errorPipe, O_CLOEXEC) < 0) {
        throw SpawnError(fmt::format("pipe: {}", std::strerror(errno)));
    }
    UniqueFd errorRead(errorPipe[0]), errorWrite(errorPipe[1]);
    UniqueFd outRead, outWrite, errRead, errWrite;
    if (request.stdoutTo == OutputTarget::Pipe) {
        makePipe(outRead, outWrite);
    }
    if (request.stderrTo == OutputTarget::Pipe) {
        makePipe(errRead, errWrite);
    }

    pid_t pid = ::fork();
    if (pid < 0) {
        throw SpawnError(fmt::format("fork: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        execChild(request, plan, errorWrite.get(), outWrite.get(), errWrite.get());
    }

    errorWrite.reset();
    outWrite.reset();
    errWrite.reset();
    // setpgid in the parent too, so a signal to the group sent right after
    // fork cannot miss the child.
    ::setpgid(pid, pid);
    awaitExec(pid, errorRead, request, plan);

    SpawnedProcess spawned;
    spawned.pid = pid;
    spawned.pidfd = pidfdOrKill(pid);
    spawned.stdoutPipe = std::move(outRead);
    spawned.stderrPipe = std::move(errRead);
    return spawned;
}

}  // namespace forever
