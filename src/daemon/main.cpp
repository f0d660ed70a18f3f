// foreverd: the supervisor daemon. One thread, one sd-event loop: D-Bus,
// signals, child exits, timers and log pipes all run on it.
#include <signal.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config.h"
#include "core/environment.hpp"
#include "core/spawner.hpp"
#include "core/state_journal.hpp"
#include "core/state_migration.hpp"
#include "core/supervisor.hpp"
#include "daemon/access_policy.hpp"
#include "daemon/bus_attachment.hpp"
#include "daemon/forever_service.hpp"
#include "daemon/heap_trimmer.hpp"
#include "daemon/journal_events.hpp"
#include "daemon/metrics_sampler.hpp"
#include "daemon/sd_event_loop.hpp"
#include "daemon/state_saver.hpp"
#include "daemon/systemd_status.hpp"

namespace {

using namespace forever;

constexpr const char* kBusName = "org.forever.Forever1";

struct Options {
    bool system = false;
    std::filesystem::path stateDir;
    std::filesystem::path logDir;
    // Spec keys applied to every Start() that does not set them itself.
    nlohmann::json specDefaults = nlohmann::json::object();
    Millis sampleInterval{5000};
};

std::filesystem::path homeDir() {
    const char* home = std::getenv("HOME");
    return home && *home ? home : "/";
}

std::filesystem::path xdgDir(const char* variable, const char* fallback) {
    const char* value = std::getenv(variable);
    if (value && *value == '/') {
        return value;
    }
    return homeDir() / fallback;
}

void usage(FILE* out) {
    std::fprintf(out,
                 "Usage: foreverd [--foreground] [--system] [--state-dir DIR] [--log-dir DIR]\n"
                 "\n"
                 "The forever supervisor daemon. Normally started by systemd\n"
                 "(systemctl --user start forever) or by D-Bus activation; it always runs in\n"
                 "the foreground and talks to systemd only when NOTIFY_SOCKET is set.\n"
                 "\n"
                 "  --foreground       accepted for clarity; foreverd never forks away\n"
                 "  --system           serve on the system bus instead of the session bus\n"
                 "  --state-dir DIR    where the process table is saved\n"
                 "                     (default $XDG_STATE_HOME/forever)\n"
                 "  --log-dir DIR      log files when journald is absent\n"
                 "                     (default $XDG_STATE_HOME/forever/logs)\n"
                 "  --log-max-bytes N  default rotation size of log files (10485760)\n"
                 "  --log-keep N       default number of rotated files kept (5)\n"
                 "  --log-max-age S    default age in seconds after which rotated files\n"
                 "                     are deleted (2592000, 30 days)\n"
                 "  --sample-interval MS  CPU/memory sampling period (5000; 0 = off)\n"
                 "  --version, --help\n");
}

std::optional<Options> parseOptions(int argc, char** argv) {
    Options o;
    o.stateDir = xdgDir("XDG_STATE_HOME", ".local/state") / "forever";
    bool stateDirGiven = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "foreverd: option '%s' needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        auto wholeNumber = [&]() -> uint64_t {
            std::string v = value();
            uint64_t n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (v.empty() || ec != std::errc{} || end != v.data() + v.size()) {
                std::fprintf(stderr, "foreverd: %s expects a whole number, not '%s'\n", a.c_str(),
                             v.c_str());
                std::exit(2);
            }
            return n;
        };
        if (a == "--foreground" || a == "-f") {
        } else if (a == "--system") {
            o.system = true;
        } else if (a == "--state-dir") {
            o.stateDir = value();
            stateDirGiven = true;
        } else if (a == "--log-dir") {
            o.logDir = value();
        } else if (a == "--log-max-bytes" || a == "--log-keep" || a == "--log-max-age") {
            const char* key = a == "--log-max-bytes" ? "logMaxBytes"
                              : a == "--log-keep"    ? "logKeep"
                                                     : "logMaxAge";
            o.specDefaults[key] = wholeNumber();
        } else if (a == "--sample-interval") {
            o.sampleInterval = Millis(wholeNumber());
        } else if (a == "--version") {
            std::printf("foreverd %s\n", FOREVER_VERSION);
            std::exit(0);
        } else if (a == "--help" || a == "-h") {
            usage(stdout);
            std::exit(0);
        } else {
            std::fprintf(stderr, "foreverd: unknown option '%s'\n", a.c_str());
            usage(stderr);
            return std::nullopt;
        }
    }
    if (o.system && !stateDirGiven) {
        // systemd's StateDirectory=forever passes it; /var/lib/forever otherwise.
        const char* given = std::getenv("STATE_DIRECTORY");
        o.stateDir = given && *given == '/' ? given : "/var/lib/forever";
    }
    if (o.logDir.empty()) {
        o.logDir = o.stateDir / "logs";
    }
    return o;
}

// Connect for real: a socket file left behind by a stopped journald exists
// but refuses connections, and then every app would fail to start.
bool journaldAvailable() {
    int fd = sd_journal_stream_fd("foreverd", LOG_INFO, 0);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    return true;
}

int run(const Options& options) {
    // Orphans of supervised apps become our children, so nothing they leave
    // behind turns into a zombie or escapes a stop.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    sigset_t handled;
    sigemptyset(&handled);
    for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) {
        sigaddset(&handled, sig);
    }
    sigprocmask(SIG_BLOCK, &handled, nullptr);
    // A log reader that goes away must not kill the supervisor.
    std::signal(SIGPIPE, SIG_IGN);
    raiseFileLimit();

    SdEventLoop loop;
    sd_event_set_watchdog(loop.get(), 1);  // WATCHDOG=1 each iteration when asked

    bool journal = journaldAvailable();
    JournalEvents events(journal);
    StateJournal stateJournal(options.stateDir);
    // Read before anything runs: the writer's thread owns the journal after.
    auto saved = openStateJournal(stateJournal, options.stateDir);
    std::unique_ptr<ForeverService> service;

    SupervisorOptions supervisorOptions;
    supervisorOptions.defaultLogDir = options.logDir;
    supervisorOptions.journal = journal;
    supervisorOptions.lineage = options.stateDir.string();
    Supervisor* supervisorPtr = nullptr;
    MetricsSampler* samplerPtr = nullptr;
    bool halting = false;
    // Written last by a foreverd that stopped every app itself (a key no
    // uid can be: uids have no '/'); its successor then has no leftovers of
    // unrecorded starts to look for.
    static const std::string kCleanExitKey = "/clean-exit";
    bool stoppedCleanly = false;

    SystemdStatus status;
    // Counting the running apps walks the table, and a stopall of 10 000
    // apps is 10 000 loop iterations: the STATUS= line is counted at once,
    // then at most every 100 ms (the timer counts what changed meanwhile).
    EventLoop::HandlePtr statusPause;
    auto countNow = [&] {
        status.running(supervisorPtr->runningCount(), supervisorPtr->processCount());
    };
    auto updateStatus = [&] {
        if (statusPause) {
            return;
        }
        countNow();
        statusPause = loop.addTimer(std::chrono::milliseconds(100), [&] {
            statusPause.reset();
            countNow();
        });
    };
    StateSaver saver(
        loop, std::move(stateJournal), options.stateDir.string(),
        {.render = [&](const std::string& uid) -> std::optional<std::string> {
             if (uid == kCleanExitKey) {
                 return stoppedCleanly ? std::optional<std::string>(R"({"cleanExit": true})")
                                       : std::nullopt;
             }
             const Process* p = supervisorPtr->findByUid(uid);
             // Being stopped for good: its record goes now, not once it is
             // gone. A successor of a foreverd killed mid-stop does not
             // bring back what the user stopped (a run still alive carries
             // the lineage mark and is swept), and a stopall of 10 000 apps
             // does not render 10 000 records only to erase them.
             if (!p || p->pending == Process::Pending::Remove) {
                 return std::nullopt;
             }
             return supervisorPtr->renderedRecord(*p);
         },
         // Here, after the iteration, not in the event handler: Removed
         // comes before the process leaves the table, so a count taken
         // then would still include it.
         .beforeSave = updateStatus,
         .say = [&](int priority,
                    const std::string& message) { events.daemonMessage(priority, message); }});
    // A bulk start's call (megabytes of specs) is answered once its records
    // are on disk, and its signals leave as dbus-daemon reads them: what
    // both hold is freed after that, and trimmed only then.
    HeapTrimmer trimmer(
        loop, [&] { return saver.unsettled() || (service && service->queuedWrites() > 0); });
    Supervisor supervisor(loop, supervisorOptions, [&](const SupervisorEvent& event) {
        if (service) {
            service->onEvent(event);
        } else {
            events.record(event);
        }
        if (halting) {
            return;  // the table is saved as it was when the stop began
        }
        const size_t tableSize = supervisorPtr->processCount();
        if (event.kind == SupervisorEvent::Kind::Added) {
            trimmer.added(tableSize);
        } else if (event.kind == SupervisorEvent::Kind::Removed) {
            if (samplerPtr) {
                samplerPtr->forget(event.process->spec.uid);
            }
            trimmer.removed(tableSize - 1);  // Removed comes before it leaves
        }
        if (event.process) {
            saver.changed(event.process->spec.uid);
        }
    });
    supervisorPtr = &supervisor;

    std::unique_ptr<sdbus::IConnection> connection;
    try {
        connection = options.system ? sdbus::createSystemBusConnection()
                                    : sdbus::createSessionBusConnection();
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "foreverd: cannot connect to the %s bus: %s\n",
                     options.system ? "system" : "session", e.getMessage().c_str());
        return 1;
    }
    service = std::make_unique<ForeverService>(*connection, loop, supervisor, events,
                                               currentEnvironment());
    service->setSpecDefaults(options.specDefaults);
    service->setStateSaver(&saver);
    AccessPolicy access(options.system);
    service->setAccessPolicy(&access);
    MetricsSampler sampler(
        loop, supervisor, options.sampleInterval,
        [&](const std::string& uid) -> ProcessFigures& { return service->figuresFor(uid); },
        [&](Process&, const std::string& message) { events.daemonMessage(LOG_WARNING, message); },
        [&] { service->announceMetrics(); });
    samplerPtr = &sampler;
    // Unset before the sampler goes (locals end in reverse): the
    // supervisor, older, may still report removals.
    struct SamplerGone {
        MetricsSampler*& ptr;
        ~SamplerGone() { ptr = nullptr; }
    } samplerGone{samplerPtr};
    // Stops every process (their state saved as it was, so the next foreverd
    // starts them again) and then leaves the loop with `exitCode`.
    auto beginHalt = [&](int exitCode, const std::string& why) {
        if (halting) {
            return;
        }
        halting = true;
        saver.halting();  // first: the flush below must not count STATUS= again
        saver.flush();
        statusPause.reset();  // no count after this may say "running" again
        status.stopping();
        events.daemonMessage(exitCode == 0 ? LOG_INFO : LOG_ERR,
                             why + ": stopping every supervised process");
        supervisor.halt([&, exitCode] {
            stoppedCleanly = true;
            saver.changed(kCleanExitKey);
            saver.drain();
            loop.exit(exitCode);
        });
    };
    // Without the bus nobody can reach us: rather than run on as a service
    // nobody can control, stop cleanly and exit non-zero, so that systemd
    // (Restart=on-failure) starts a successor that restores every process.
    BusAttachment bus(loop.get(), *connection, [&](const std::string& why) {
        beginHalt(3, "lost the bus connection (" + why + ")");
    });

    for (const auto& problem : saved.problems) {
        events.daemonMessage(LOG_CRIT, problem);
    }
    for (const auto& notice : saved.notices) {
        events.daemonMessage(LOG_NOTICE, notice);
    }
    // All leftovers before any start: group members share one --listen port.
    bool predecessorStoppedCleanly = false;
    for (const auto& [key, record] : saved.records) {
        if (key == kCleanExitKey) {
            predecessorStoppedCleanly = true;
            continue;
        }
        supervisor.killLeftovers(record);
    }
    // Only after a death without the halt: the mark is inherited by what the
    // apps start (a tmux an app opened, a job it left running with setsid),
    // and after a clean stop nothing of ours was left unrecorded.
    if (size_t swept = predecessorStoppedCleanly ? 0 : supervisor.sweepUnrecorded()) {
        events.daemonMessage(LOG_WARNING,
                             fmt::format("stopped {} process(es) a previous foreverd had started "
                                         "but not yet recorded when it died",
                                         swept));
    }
    for (const auto& [key, record] : saved.records) {
        if (key == kCleanExitKey) {
            saver.changed(key);  // erased: a later death must not look clean
            continue;
        }
        if (auto problem = supervisor.restoreRecord(record)) {
            events.daemonMessage(LOG_ERR, *problem);
        }
        // Rewritten as restored (new pids), or erased when it was not (an
        // exited app, a migrated key, a spec that no longer starts).
        saver.changed(key);
    }
    saved.records.clear();

    try {
        connection->requestName(kBusName);
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "foreverd: cannot own %s (is another foreverd running?): %s\n",
                     kBusName, e.getMessage().c_str());
        supervisor.halt([] {});
        return 1;
    }

    // A run's exit is reaped through its pidfd at once (Supervisor::reapRun);
    // SIGCHLD's sweep walks every child, so it is for orphans and retired
    // runs only, at most once per 50 ms: per exit, it made a restart's cost
    // grow with the number of apps. It waits while exits are ready on their
    // pidfds, or it would take them over, each of its waitid(P_ALL) calls
    // walking the kernel's list of 10 000 children for the next one (a
    // fifth of foreverd's time in a stopall).
    // It waits 1 s at the most: exits may be ready at every look while apps
    // crash-loop, and an orphan's zombie must not wait for ever. It always
    // waits while a bulk start's slice is spawned off the loop: those
    // children are not in the table yet, and one that died at once would be
    // taken for an orphan, its exit lost (a bulk start ends, so this does).
    EventLoop::HandlePtr orphanSweep;
    int sweepWaits = 0;
    std::function<void()> armOrphanSweep = [&] {
        orphanSweep = loop.addTimer(std::chrono::milliseconds(50), [&] {
            if (supervisor.spawningOffLoop() || (loop.readyOncePending() && ++sweepWaits < 20)) {
                armOrphanSweep();
                return;
            }
            sweepWaits = 0;
            orphanSweep.reset();
            supervisor.reapChildren();
        });
    };
    auto handleSignal = [&](int sig) {
        if (sig == SIGCHLD) {
            if (!orphanSweep) {
                armOrphanSweep();
            }
            return;
        }
        if (sig == SIGHUP) {
            return;  // nothing to reload; do not die of it
        }
        beginHalt(0, fmt::format("SIG{} received", sigabbrev_np(sig)));
    };
    std::vector<EventLoop::HandlePtr> signalHandlers;
    for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) {
        signalHandlers.push_back(loop.addSignal(sig, [&handleSignal, sig] { handleSignal(sig); }));
    }

    // READY only now: the name is owned and every object is exported, so a
    // client that saw "active" can call us.
    updateStatus();
    sd_notify(0, "READY=1");
    events.daemonMessage(LOG_INFO, fmt::format("foreverd {} ready on the {} bus", FOREVER_VERSION,
                                               options.system ? "system" : "session"));
    int code = loop.run();
    signalHandlers.clear();
    service.reset();
    return code < 0 ? 1 : code;
}

}  // namespace

int main(int argc, char** argv) {
    auto options = parseOptions(argc, argv);
    if (!options) {
        return 2;
    }
    try {
        return run(*options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "foreverd: %s\n", e.what());
        return 1;
    }
}
