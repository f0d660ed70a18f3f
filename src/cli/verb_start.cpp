// `start SCRIPT` and `start forever.json|forever.toml`.
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "cli/bus_client.hpp"
#include "cli/config_file.hpp"
#include "cli/spec_builder.hpp"
#include "cli/start_options.hpp"
#include "cli/verbs.hpp"
#include "core/environment.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {

void printStarted(const ProcessView* p, const std::string& path, const Output& out, json* jsonOut) {
    if (out.json) {
        jsonOut->push_back(p ? toJson(*p, realtimeNowUs()) : json{{"path", path}});
        return;
    }
    if (p) {
        std::cout << fmt::format("started {} ({}{}), pid {}\n", p->uid,
                                 p->command.empty() ? "" : p->command + " ", p->script,
                                 displayPid(*p));
    } else {
        std::cout << "started " << path << "\n";
    }
}

// While `call` runs, a line on a terminal ("starting 1000 apps: 412
// started") from ProcessCount polled on a connection of its own every
// 200 ms; nothing when stdout is not a terminal or for a few apps.
template <typename Call>
auto withProgress(bool systemBus, size_t apps, const Output& out, Call&& call) {
    if (out.json || apps < 20 || !::isatty(STDOUT_FILENO)) {
        return call();
    }
    std::atomic<bool> done{false};
    std::thread progress([&] {
        try {
            BusClient watcher(systemBus);
            const uint32_t before = watcher.call([](ManagerProxy& m) { return m.ProcessCount(); });
            while (!done) {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                const uint32_t now = watcher.call([](ManagerProxy& m) { return m.ProcessCount(); });
                if (!done) {
                    std::cout << fmt::format("\rstarting {} apps: {} started", apps,
                                             now > before ? now - before : 0)
                              << std::flush;
                }
            }
        } catch (const std::exception&) {
            // Progress is a courtesy: the call's own outcome is what counts.
        }
    });
    struct Join {
        std::atomic<bool>& done;
        std::thread& thread;
        ~Join() {
            done = true;
            thread.join();
            std::cout << "\r\033[K" << std::flush;  // the line erased
        }
    } join{done, progress};
    return call();
}

// The caller's environment with --env KEY=VALUE over it: what every app of
// one `start` gets beneath its own env. StartMany sends it once; each spec
// carries only what is its own (a file's env, FOREVER_INSTANCE). Copying it
// into each of 10 000 specs, then finding it shared again, was most of
// foreverctl's 3 s of CPU before foreverd saw the first spec.
std::map<std::string, std::string> callerEnvironment(const Invocation& inv) {
    auto environment = forever::currentEnvironment();
    for (const auto& text : inv.envSettings) {
        auto setting = parseEnvSetting(text);
        environment[setting.key] = setting.value;
    }
    return environment;
}

// Starts every spec with one StartMany (validated whole by foreverd: all or
// none), then prints each (pid and all) from one List. A spec whose spawn
// failed is said after the others, and the exit code says it. Each spec's
// env is laid over `shared` (its own values win), by foreverd for a
// StartMany, here for a Start.
json startAll(BusClient& client, bool systemBus, std::vector<json> specs,
              const std::map<std::string, std::string>& shared, const Output& out) {
    using Results = std::vector<sdbus::Struct<sdbus::ObjectPath, std::string>>;
    Results results;
    const bool scheduled = std::any_of(specs.begin(), specs.end(),
                                       [](const json& s) { return s.contains("restartAt"); });
    const bool many = specs.size() > 1 && !scheduled;
    std::vector<std::map<std::string, sdbus::Variant>> variants;
    variants.reserve(specs.size());
    for (auto& spec : specs) {
        // Always an env, if only {}: a spec without one would get foreverd's
        // environment instead of the caller's.
        json& env = spec["env"];
        if (!env.is_object()) {
            env = json::object();
        }
        if (!many) {
            for (const auto& [name, value] : shared) {
                if (!env.contains(name)) {
                    env[name] = value;
                }
            }
        }
        variants.push_back(toVariants(spec));
    }
    if (!many) {
        // One app: Start, whose errors are about that app, without an index.
        // Apps with a restart calendar: one Start each, since systemd, which
        // validates the calendar, answers each timer on its own.
        for (const auto& one : variants) {
            results.emplace_back(client.call([&](ManagerProxy& m) { return m.Start(one); }), "");
        }
    } else {
        results = withProgress(systemBus, specs.size(), out, [&] {
            return client.call([&](ManagerProxy& m) { return m.StartMany(variants, shared); });
        });
    }
    std::vector<std::string> failures;
    std::vector<std::string> paths;
    for (size_t i = 0; i < results.size(); ++i) {
        const auto& error = results[i].get<1>();
        if (error.empty()) {
            paths.push_back(results[i].get<0>());
        } else {
            failures.push_back(fmt::format("app {}: {}", i, error));
        }
    }
    json started = json::array();
    if (!paths.empty()) {
        auto all = listProcesses(client);
        // By path, indexed: a search of the list per app was quadratic.
        std::unordered_map<std::string_view, const ProcessView*> byPath;
        byPath.reserve(all.size());
        for (const auto& p : all) {
            byPath.emplace(p.path, &p);
        }
        for (const auto& path : paths) {
            auto found = byPath.find(path);
            printStarted(found == byPath.end() ? nullptr : found->second, path, out, &started);
        }
    }
    if (!failures.empty()) {
        if (out.json) {
            printJson(started);
        }
        std::string message = fmt::format("{} of {} not started: {}", failures.size(), specs.size(),
                                          failures.front());
        throw CliError(kExitFailure, message);
    }
    return started;
}

// `start forever.json|forever.toml`: every app of the file, or none of them.
int runStartConfig(const Invocation& inv, const Output& out) {
    std::string profile;
    for (const auto& text : inv.envSettings) {
        if (auto setting = parseEnvSetting(text); setting.profile) {
            profile = setting.value;
        }
    }
    std::vector<json> apps;
    try {
        const BusTarget* target = scopedBusTarget();
        apps = loadConfigFile(
            inv.operands.front(), profile,
            target && !target->address.empty() ? ScriptCheck::Remote : ScriptCheck::Local);
    } catch (const ConfigError& e) {
        throw CliError(kExitUsage, e.what());
    }
    BusClient client(inv.system);
    auto running = listProcesses(client);
    const auto cwd = std::filesystem::current_path();
    std::vector<json> specs;
    specs.reserve(apps.size());
    for (const auto& app : apps) {
        // Options given on the command line apply to every app of the file,
        // unless the file says otherwise; the environment is the caller's,
        // then the file's env, then --env KEY=VALUE (callerEnvironment).
        Invocation base = inv;
        base.operands = {app["script"].get<std::string>()};
        base.scriptArgs.clear();
        base.envSettings.clear();
        json spec = buildStartSpec(base, cwd, {});
        json env = json::object();
        for (const auto& [key, value] : app.items()) {
            spec[key] = value;
        }
        if (app.contains("env")) {
            for (const auto& [k, v] : app["env"].items()) {
                env[k] = v.is_string() ? v.get<std::string>() : v.dump();
            }
            // --env wins over the file: it is said again over the app's own.
            for (const auto& text : inv.envSettings) {
                auto setting = parseEnvSetting(text);
                env[setting.key] = setting.value;
            }
        }
        spec["env"] = std::move(env);
        for (auto& one : expandInstances(std::move(spec))) {
            specs.push_back(std::move(one));
        }
    }
    // After expanding instances, so "api-1" is checked as well as "api".
    std::unordered_set<std::string_view> runningUids;
    for (const auto& p : running) {
        runningUids.insert(p.uid);
    }
    for (const auto& spec : specs) {
        auto uid = spec.find("uid");
        if (uid != spec.end() && uid->is_string() &&
            runningUids.count(uid->get_ref<const std::string&>())) {
            throw CliError(kExitFailure,
                           fmt::format("{}: a process with uid '{}' is already running; "
                                       "nothing was started",
                                       inv.operands.front(), uid->get_ref<const std::string&>()));
        }
    }
    json started = startAll(client, inv.system, std::move(specs), callerEnvironment(inv), out);
    if (out.json) {
        printJson(started);
    }
    return kExitOk;
}

}  // namespace

int runStart(const Invocation& inv, const Output& out) {
    if (isConfigFile(inv.operands.front())) {
        return runStartConfig(inv, out);
    }
    auto specs = expandInstances(buildStartSpec(inv, std::filesystem::current_path(), {}));
    const bool one = specs.size() == 1;
    BusClient client(inv.system);
    json started = startAll(client, inv.system, std::move(specs), callerEnvironment(inv), out);
    if (out.json) {
        printJson(one ? started.front() : started);
    }
    return kExitOk;
}

}  // namespace forever::cli
