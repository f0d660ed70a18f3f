// `start SCRIPT` and `start forever.json|forever.toml`.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

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

// Starts each spec in turn, then prints each (pid and all) from one List:
// a List after every Start made a 1000-app config O(n²). If a Start fails,
// what did start is still printed before the error.
json startAll(BusClient& client, const std::vector<json>& specs, const Output& out) {
    std::vector<std::string> paths;
    auto printAll = [&] {
        json started = json::array();
        if (paths.empty()) {
            return started;
        }
        auto all = listProcesses(client);
        for (const auto& path : paths) {
            printStarted(findByPath(all, path), path, out, &started);
        }
        return started;
    };
    try {
        for (const auto& spec : specs) {
            paths.push_back(
                client.call([&](ManagerProxy& m) { return m.Start(toVariants(spec)); }));
        }
    } catch (...) {
        if (!out.json) {
            try {
                printAll();
            } catch (...) {
                // The bus may be why Start failed: its error is the one to say.
            }
        }
        throw;
    }
    return printAll();
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
    std::vector<json> specs;
    for (const auto& app : apps) {
        // Options given on the command line apply to every app of the file,
        // unless the file says otherwise; the environment is the caller's,
        // then the file's env, then --env KEY=VALUE.
        Invocation base = inv;
        base.operands = {app["script"].get<std::string>()};
        base.scriptArgs.clear();
        json spec =
            buildStartSpec(base, std::filesystem::current_path(), forever::currentEnvironment());
        json env = spec["env"];
        for (const auto& [key, value] : app.items()) {
            spec[key] = value;
        }
        if (app.contains("env")) {
            for (const auto& [k, v] : app["env"].items()) {
                env[k] = v.is_string() ? v.get<std::string>() : v.dump();
            }
        }
        for (const auto& text : inv.envSettings) {
            auto setting = parseEnvSetting(text);
            env[setting.key] = setting.value;
        }
        spec["env"] = env;
        for (auto& one : expandInstances(std::move(spec))) {
            specs.push_back(std::move(one));
        }
    }
    // After expanding instances, so "api-1" is checked as well as "api".
    for (const auto& spec : specs) {
        for (const auto& p : running) {
            if (spec.contains("uid") && p.uid == spec["uid"]) {
                throw CliError(kExitFailure,
                               fmt::format("{}: a process with uid '{}' is already running; "
                                           "nothing was started",
                                           inv.operands.front(), p.uid));
            }
        }
    }
    json started = startAll(client, specs, out);
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
    auto specs = expandInstances(
        buildStartSpec(inv, std::filesystem::current_path(), forever::currentEnvironment()));
    BusClient client(inv.system);
    json started = startAll(client, specs, out);
    if (out.json) {
        printJson(specs.size() == 1 ? started.front() : started);
    }
    return kExitOk;
}

}  // namespace forever::cli
