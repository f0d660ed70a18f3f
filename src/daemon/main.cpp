// foreverd: the supervisor daemon. One thread, one sd-event loop: D-Bus,
// signals, child exits, timers and log pipes all run on it.
#include <malloc.h>
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
#include "core/spawner.hpp"
#include "core/state_store.hpp"
#include "core/supervisor.hpp"
#include "daemon/access_policy.hpp"
#include "daemon/bus_attachment.hpp"
#include "daemon/forever_service.hpp"
#include "daemon/journal_events.hpp"
#include "daemon/metrics_sampler.hpp"
#include "daemon/sd_event_loop.hpp"

extern char** environ;

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

std::map<std::string, std::string> environmentMap() {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        auto eq = entry.find('=');
        if (eq != std::string::npos) {
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    return env;
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
    StateStore store(options.stateDir);
    EventLoop::HandlePtr pendingSave;
    std::unique_ptr<ForeverService> service;

    SupervisorOptions supervisorOptions;
    supervisorOptions.defaultLogDir = options.logDir;
    supervisorOptions.journal = journal;
    Supervisor* supervisorPtr = nullptr;
    bool halting = false;

    // Only changes are sent: sd_notify() blocks when the manager's socket
    // queue is full, and this runs after every loop iteration with events.
    std::string lastStatus;
    auto updateStatus = [&] {
        auto status = fmt::format("STATUS={} of {} processes running",
                                  supervisorPtr->runningCount(), supervisorPtr->processes().size());
        if (status != lastStatus) {
            sd_notify(0, status.c_str());
            lastStatus = std::move(status);
        }
    };
    // A failed save (disk full, read-only) is said once, retried every
    // 5 s until it works (the last good file stays in place meanwhile),
    // and its recovery said too.
    std::error_code saveError;
    EventLoop::HandlePtr saveRetry;
    size_t tableHighWater = 0;
    EventLoop::HandlePtr pendingTrim;
    std::function<void()> saveNow = [&] {
        pendingSave.reset();
        saveRetry.reset();
        // Here, after the iteration, not in the event handler: Removed comes
        // before the process leaves the table, so a count taken then would
        // still include it. Not once halting: STATUS says "stopping".
        if (!halting) {
            updateStatus();
        }
        auto ec = store.saveRendered(supervisorPtr->renderedSnapshot());
        if (ec && ec != saveError) {
            events.daemonMessage(LOG_ERR, fmt::format("cannot save state in {}: {}; the "
                                                      "previous state is kept, retrying",
                                                      options.stateDir.string(), ec.message()));
        } else if (!ec && saveError) {
            events.daemonMessage(LOG_NOTICE,
                                 fmt::format("state saved in {} again", options.stateDir.string()));
        }
        saveError = ec;
        if (ec && !halting) {
            saveRetry = loop.addTimer(std::chrono::seconds(5), [&] { saveNow(); });
        }
    };
    Supervisor supervisor(loop, supervisorOptions, [&](const SupervisorEvent& event) {
        if (service) {
            service->onEvent(event);
        } else {
            events.record(event);
        }
        if (halting) {
            return;  // the table is saved as it was when the stop began
        }
        using Kind = SupervisorEvent::Kind;
        // glibc keeps the heap that 1000 apps grew after they are gone
        // (foreverd stayed at 34 MB after stopall, 6 MB idle); give it back
        // once the table has halved since it was last this large, and a
        // second later, so a whole stopall ends in one trim, not 1000.
        const size_t tableSize = supervisorPtr->processes().size();
        if (event.kind == Kind::Added) {
            tableHighWater = std::max(tableHighWater, tableSize);
        } else if (event.kind == Kind::Removed && tableSize - 1 <= tableHighWater / 2 &&
                   !pendingTrim) {
            tableHighWater = tableSize - 1;  // Removed comes before it leaves
            // By then what the burst of stops still held (drained log
            // pipes, replies) is freed too.
            pendingTrim = loop.addTimer(std::chrono::seconds(1), [&] {
                pendingTrim.reset();
                ::malloc_trim(0);
            });
        }
        // Coalesce: one save per loop iteration, however many changes. Not
        // less often: the saved pids are what lets a successor of a kill -9'd
        // foreverd stop the old runs, so they must be on disk at once.
        if (!pendingSave) {
            pendingSave = loop.addDeferred(saveNow);
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
    service = std::make_unique<ForeverService>(*connection, supervisor, events, environmentMap());
    service->setSpecDefaults(options.specDefaults);
    AccessPolicy access(options.system);
    service->setAccessPolicy(&access);
    MetricsSampler sampler(
        loop, supervisor, options.sampleInterval,
        [&](const std::string& uid) -> ProcessFigures& { return service->figuresFor(uid); },
        [&](Process&, const std::string& message) { events.daemonMessage(LOG_WARNING, message); },
        [&] { service->announceMetrics(); });
    // Stops every process (their state saved as it was, so the next foreverd
    // starts them again) and then leaves the loop with `exitCode`.
    auto beginHalt = [&](int exitCode, const std::string& why) {
        if (halting) {
            return;
        }
        halting = true;
        if (pendingSave) {
            saveNow();
        }
        sd_notify(0, "STOPPING=1\nSTATUS=stopping every process");
        events.daemonMessage(exitCode == 0 ? LOG_INFO : LOG_ERR,
                             why + ": stopping every supervised process");
        supervisor.halt([&, exitCode] {
            saveNow();
            loop.exit(exitCode);
        });
    };
    // Without the bus nobody can reach us: rather than run on as a service
    // nobody can control, stop cleanly and exit non-zero, so that systemd
    // (Restart=on-failure) starts a successor that restores every process.
    BusAttachment bus(loop.get(), *connection, [&](const std::string& why) {
        beginHalt(3, "lost the bus connection (" + why + ")");
    });

    auto loaded = store.load();
    if (!loaded.error.empty()) {
        events.daemonMessage(LOG_CRIT, loaded.error);
    }
    if (!loaded.processes.is_null()) {
        for (const auto& problem : supervisor.restore(loaded.processes)) {
            events.daemonMessage(LOG_ERR, problem);
        }
    }

    try {
        connection->requestName(kBusName);
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "foreverd: cannot own %s (is another foreverd running?): %s\n",
                     kBusName, e.getMessage().c_str());
        supervisor.halt([] {});
        return 1;
    }

    auto handleSignal = [&](int sig) {
        if (sig == SIGCHLD) {
            supervisor.reapChildren();
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
