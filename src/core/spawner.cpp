#include "core/spawner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "core/pidfd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
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

// journald's stdout stream, connected by the child itself (journald takes
// _PID, _COMM and _EXE from the peer that connects: from foreverd, every
// line would be foreverd's). sd_journal_stream_fd allocates, which a child
// sharing our memory must not; `header` is its handshake, made before.
int connectJournal(const std::string& header, int errorPipe) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failInChild(errorPipe, kJournal);
    }
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    static constexpr char kPath[] = "/run/systemd/journal/stdout";
    static_assert(sizeof kPath <= sizeof address.sun_path);
    for (size_t i = 0; i < sizeof kPath; ++i) {
        address.sun_path[i] = kPath[i];
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
        failInChild(errorPipe, kJournal);
    }
    ::shutdown(fd, SHUT_RD);
    int buffer = 8 * 1024 * 1024;  // as sd_journal_stream_fd: a burst does not block
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    for (size_t done = 0; done < header.size();) {
        ssize_t n = ::write(fd, header.data() + done, header.size() - done);
        if (n < 0 && errno != EINTR) {
            failInChild(errorPipe, kJournal);
        }
        done += n > 0 ? static_cast<size_t>(n) : 0;
    }
    return fd;
}

// The fd the child's stdout or stderr is taken from: its staging slot (a
// pipe), journald's stream, or /dev/null for a silent app.
int openOutput(OutputTarget target, int staged, const std::string& journalHeader, int errorPipe) {
    if (staged >= 0) {
        return staged;
    }
    if (target == OutputTarget::Journal) {
        return connectJournal(journalHeader, errorPipe);
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
// Our SigIgn from /proc: one read where asking sigaction() of each signal
// was 62 system calls in every child before its exec, 1.3 s of a bulk start
// of 10 000 on a VM (2 us each).
std::optional<uint64_t> ignoredSignalsNow() {
    UniqueFd fd(::open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return std::nullopt;
    }
    char text[8192];
    ssize_t n;
    do {
        n = ::read(fd.get(), text, sizeof text - 1);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        return std::nullopt;
    }
    text[n] = '\0';
    const char* field = std::strstr(text, "\nSigIgn:");
    if (!field) {
        return std::nullopt;
    }
    char* end = nullptr;
    const unsigned long long mask = std::strtoull(field + 8, &end, 16);
    if (end == field + 8) {
        return std::nullopt;
    }
    return uint64_t{mask};
}

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
    std::vector<gid_t> runGroups;  // initgroups' list, which needs NSS (malloc)
    // sd_journal_stream_fd's handshake for stdout and stderr: identifier,
    // unit id (none), priority, level prefix, forward to syslog/kmsg/console.
    std::string journalHeader[2];
    // The signals we ignore now (bit sig-1), which the child sets back to
    // their default: an exec resets caught signals itself, ignored ones
    // stay ignored. Unknown (no /proc): all of them.
    std::optional<uint64_t> ignoredSignals = ignoredSignalsNow();
};

ExecPlan::ExecPlan(const SpawnRequest& request) {
    const ProcessSpec& spec = *request.spec;
    args = spec.argv();
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    for (const auto& entry : spec.env.entries()) {
        std::string name(SharedEnvironment::split(entry).first);
        if (!isSupervisorOnlyVariable(name) && !request.extraEnv.count(name)) {
            envStrings.push_back(*entry);
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
    for (int i = 0; i < 2; ++i) {
        journalHeader[i] =
            fmt::format("{}\n\n{}\n0\n0\n0\n0\n", spec.uid, i == 0 ? LOG_INFO : LOG_ERR);
    }
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
        int count = 32;
        runGroups.resize(static_cast<size_t>(count));
        while (::getgrouplist(pw.pw_name, runGid, runGroups.data(), &count) < 0) {
            runGroups.resize(static_cast<size_t>(count) + 32);
            count = static_cast<int>(runGroups.size());
        }
        runGroups.resize(static_cast<size_t>(count));
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

// The descriptors a child needs, staged by it into the low slots that
// spawnSlots() reserves while it still shares the supervisor's descriptor
// table (see spawnProcess).
enum Slot { kErrorSlot, kOutSlot, kErrSlot, kListenSlot, kSlotCount };

struct SpawnSlots {
    int devNull = -1;
    int fd[kSlotCount] = {-1, -1, -1, -1};
    int end = 0;  // one past the highest slot: the child keeps [0, end)
};

// Low descriptors held open on /dev/null, reserved for staging: a child
// copies only the descriptors below them, so a spawn costs the same with
// 10 000 children as with one (a full copy of a table of 30 000 descriptors,
// and closing each at exec, was most of a spawn at 1000 apps).
// Made at the first spawn that can make them (a failure, EMFILE say, is
// thrown and tried again at the next spawn, never kept); the caller holds
// spawnLock().
const SpawnSlots& spawnSlots() {
    static SpawnSlots slots;
    if (slots.end > 0) {
        return slots;
    }
    SpawnSlots made;
    made.devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int& fd : made.fd) {
        fd = made.devNull < 0 ? -1 : ::fcntl(made.devNull, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            int saved = errno;
            for (int opened : made.fd) {
                if (opened >= 0) {
                    ::close(opened);
                }
            }
            if (made.devNull >= 0) {
                ::close(made.devNull);
            }
            throw SpawnError(fmt::format("cannot prepare to spawn: {}", std::strerror(saved)));
        }
        made.end = std::max(made.end, fd + 1);
    }
    slots = made;
    return slots;
}

// The stack the child runs on until exec (it shares our memory), with a
// guard page below it: an overflow faults instead of writing over ours.
char* childStackTop() {
    constexpr size_t kSize = 256 * 1024;
    constexpr size_t kGuard = 4096;
    static char* top = nullptr;
    if (!top) {
        void* base = ::mmap(nullptr, kSize + kGuard, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (base == MAP_FAILED) {
            throw SpawnError(fmt::format("cannot prepare to spawn: {}", std::strerror(errno)));
        }
        ::mprotect(base, kGuard, PROT_NONE);
        top = static_cast<char*>(base) + kGuard + kSize;
    }
    return top;
}

// One spawn at a time: the stack and the staging slots are shared.
std::mutex& spawnLock() {
    static std::mutex lock;
    return lock;
}

struct ChildArgs {
    const SpawnRequest* request;
    const ExecPlan* plan;
    int source[kSlotCount];  // our descriptors, -1 where none
};

// The child, between clone and exec: its own descriptor table holding only
// what it needs, its own group, default signals, stdio, the listen socket
// as fd 3, the owner's identity, the working directory. It shares the
// supervisor's memory until exec, so it only makes system calls on data
// prepared before the clone. A failure is written to the error pipe as a
// ChildFailure and the child exits.
int execChild(void* argument) {
    const auto& a = *static_cast<const ChildArgs*>(argument);
    const ExecPlan& plan = *a.plan;
    const SpawnSlots& slots = spawnSlots();
    // Still in the supervisor's table (the parent thread is suspended; its
    // other threads never use these reserved slots).
    int staged[kSlotCount];
    for (int i = 0; i < kSlotCount; ++i) {
        staged[i] = -1;
        if (a.source[i] >= 0) {
            if (::dup3(a.source[i], slots.fd[i], O_CLOEXEC) < 0) {
                failInChild(a.source[kErrorSlot], kStdio);
            }
            staged[i] = slots.fd[i];
        }
    }
    // A table of our own with only the descriptors below the slots' end
    // (older kernels: a copy of the whole table, closed at exec as before).
    if (::close_range(static_cast<unsigned>(slots.end), ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
        ::unshare(CLONE_FILES) < 0) {
        failInChild(a.source[kErrorSlot], kStdio);
    }
    const int ep = staged[kErrorSlot];
    ::setpgid(0, 0);
    for (int sig = 1; sig < NSIG; ++sig) {
        const bool ignored =
            !plan.ignoredSignals || sig > 64 || (*plan.ignoredSignals >> (sig - 1) & 1u) != 0;
        if (ignored && sig != SIGKILL && sig != SIGSTOP) {
            ::signal(sig, SIG_DFL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        failInChild(ep, kStdio);
    }
    int out = openOutput(a.request->stdoutTo, staged[kOutSlot], plan.journalHeader[0], ep);
    int err = openOutput(a.request->stderrTo, staged[kErrSlot], plan.journalHeader[1], ep);
    // Move fds out of the 0..3 range first so dup2 cannot clobber one
    // with another.
    auto high = [ep](int fd) {
        int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 4);
        if (moved < 0) {
            failInChild(ep, kStdio);
        }
        return moved;
    };
    in = high(in);
    out = high(out);
    err = high(err);
    int listen = staged[kListenSlot] >= 0 ? high(staged[kListenSlot]) : -1;
    moveTo(in, 0, ep);
    moveTo(out, 1, ep);
    moveTo(err, 2, ep);
    if (listen >= 0) {
        moveTo(listen, 3, ep);
        writeDecimal(plan.listenPidDigits, ::getpid());
    }
    // Raw system calls: glibc's setuid family synchronises every thread of
    // the process (a lock and a signal to each), and this child shares our
    // memory with foreverd's threads; the new credentials are the child's.
    const auto uid = static_cast<uid_t>(a.request->spec->runAsUid);
    if (plan.switchUser &&
        (::syscall(SYS_setgroups, plan.runGroups.size(), plan.runGroups.data()) < 0 ||
         ::syscall(SYS_setresgid, plan.runGid, plan.runGid, plan.runGid) < 0 ||
         ::syscall(SYS_setresuid, uid, uid, uid) < 0)) {
        failInChild(ep, kUser);
    }
    if (::chdir(plan.cwd.c_str()) < 0) {
        failInChild(ep, kChdir);
    }
    // Last: until exec the child still holds the supervisor's low
    // descriptors (close-on-exec), possibly above the old limit.
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

// The child's stdout or stderr when it is a pipe (its read end kept in
// `read`); journald's stream and /dev/null are opened by the child.
UniqueFd outputFor(OutputTarget target, UniqueFd& read) {
    UniqueFd write;
    if (target == OutputTarget::Pipe) {
        makePipe(read, write);
    }
    return write;
}

// CLOCK_BOOTTIME in the clock ticks /proc/<pid>/stat counts start times in
// (the kernel's nsec_to_clock_t of the task's start_boottime: a floor
// division), or 0 when the tick does not divide a second in nanoseconds.
uint64_t bootTimeTicks() {
    static const long perSecond = ::sysconf(_SC_CLK_TCK);
    if (perSecond <= 0 || 1000000000L % perSecond != 0) {
        return 0;
    }
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    const uint64_t ns = uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
    return ns / uint64_t(1000000000L / perSecond);
}

}  // namespace

SpawnedProcess spawnProcess(const SpawnRequest& request) {
    const ExecPlan plan(request);
    // Held until the slots hold /dev/null again: another spawn's child
    // must not find this one's descriptors there.
    std::lock_guard lock(spawnLock());
    const SpawnSlots& slots = spawnSlots();
    char* stack = childStackTop();

    int errorPipe[2];
    if (::pipe2(errorPipe, O_CLOEXEC) < 0) {
        throw SpawnError(fmt::format("pipe: {}", std::strerror(errno)));
    }
    UniqueFd errorRead(errorPipe[0]), errorWrite(errorPipe[1]);
    UniqueFd outRead, errRead;
    UniqueFd outWrite = outputFor(request.stdoutTo, outRead);
    UniqueFd errWrite = outputFor(request.stderrTo, errRead);

    // clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy of our
    // page tables (fork's cost grows with our memory), and we wait here
    // until the child has exec'd or failed. CLONE_FILES: the child shares
    // our descriptor table until it takes its own small one (execChild), as
    // a copy costs every descriptor we hold, twice (copied, closed at exec).
    // Every signal is blocked meanwhile, so no handler of ours runs on the
    // child's stack.
    ChildArgs args{
        &request, &plan, {errorWrite.get(), outWrite.get(), errWrite.get(), request.listenFd}};
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    // The child's start time is taken inside clone: when the clock shows the
    // same tick before and after, that tick is it, and the supervisor need
    // not open /proc/<pid>/stat for it (a tenth of a bulk start's time).
    const uint64_t ticksBefore = bootTimeTicks();
    pid_t pid = ::clone(execChild, stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &args);
    int cloneErrno = errno;
    const uint64_t ticksAfter = bootTimeTicks();
    // The child staged its descriptors in our slots: /dev/null goes back in
    // (else we would hold its pipes' write ends, and never see their EOF).
    for (int fd : slots.fd) {
        ::dup3(slots.devNull, fd, O_CLOEXEC);
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
        throw SpawnError(fmt::format("clone: {}", std::strerror(cloneErrno)));
    }

    errorWrite.reset();
    outWrite.reset();
    errWrite.reset();
    // setpgid in the parent too, so a signal to the group sent right after
    // the spawn cannot miss the child (it has usually exec'd: then EACCES,
    // and its own setpgid has been done).
    ::setpgid(pid, pid);
    awaitExec(pid, errorRead, request, plan);

    SpawnedProcess spawned;
    spawned.pid = pid;
    spawned.pidfd = pidfdOrKill(pid);
    spawned.stdoutPipe = std::move(outRead);
    spawned.stderrPipe = std::move(errRead);
    spawned.startTimeTicks = ticksBefore == ticksAfter ? ticksBefore : 0;
    return spawned;
}

}  // namespace forever
