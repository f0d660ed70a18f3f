#include "core/process_spec.hpp"

#include "core/http_probe.hpp"
#include "core/listen_socket.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/exit_status.hpp"

namespace forever {

using nlohmann::json;

std::string toString(RestartMode mode) {
    switch (mode) {
        case RestartMode::Always:
            return "always";
        case RestartMode::OnFailure:
            return "on-failure";
        case RestartMode::No:
            return "no";
    }
    return "always";
}

std::optional<RestartMode> parseRestartMode(const std::string& text) {
    if (text == "always") {
        return RestartMode::Always;
    }
    if (text == "on-failure") {
        return RestartMode::OnFailure;
    }
    if (text == "no" || text == "never") {
        return RestartMode::No;
    }
    return std::nullopt;
}

std::vector<std::string> ProcessSpec::argv() const {
    std::vector<std::string> out;
    if (!command.empty()) {
        out.push_back(command);
        out.insert(out.end(), nodeArgs.begin(), nodeArgs.end());
    }
    out.push_back(script);
    out.insert(out.end(), args.begin(), args.end());
    return out;
}

std::string defaultCommandFor(const std::string& script) {
    auto ext = std::filesystem::path(script).extension().string();
    if (ext == ".js" || ext == ".mjs" || ext == ".cjs") {
        return "node";
    }
    return {};
}

bool isValidUid(const std::string& uid) {
    if (uid.empty() || uid.size() > 200 || uid.front() == ' ' || uid.back() == ' ') {
        return false;
    }
    for (unsigned char c : uid) {
        if (c < 0x20 || c == 0x7f || c == '/') {
            return false;
        }
    }
    return true;
}

namespace {

// Each key's reader: one table so the accepted keys, their types and the
// error messages cannot drift apart.
using Reader = void (*)(ProcessSpec&, const json&, const std::string& key);

[[noreturn]] void wrongType(const std::string& key, const char* expected) {
    throw SpecError(fmt::format("'{}' must be {}", key, expected));
}

std::string asString(const json& v, const std::string& key) {
    if (!v.is_string()) {
        wrongType(key, "a string");
    }
    return v.get<std::string>();
}

bool asBool(const json& v, const std::string& key) {
    if (!v.is_boolean()) {
        wrongType(key, "true or false");
    }
    return v.get<bool>();
}

int64_t asInteger(const json& v, const std::string& key, int64_t min) {
    if (!v.is_number_integer()) {
        wrongType(key, "a whole number");
    }
    auto n = v.get<int64_t>();
    if (n < min) {
        throw SpecError(fmt::format("'{}' must be at least {}", key, min));
    }
    return n;
}

Millis asMillis(const json& v, const std::string& key) {
    return Millis(asInteger(v, key, 0));
}

std::vector<std::string> asStrings(const json& v, const std::string& key) {
    if (!v.is_array()) {
        wrongType(key, "an array of strings");
    }
    std::vector<std::string> out;
    for (const auto& item : v) {
        if (!item.is_string()) {
            wrongType(key, "an array of strings");
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

const std::map<std::string, Reader>& readers() {
    static const std::map<std::string, Reader> table{
        {"uid",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.uid = asString(v, k); }},
        {"script",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.script = asString(v, k); }},
        {"command",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.command = asString(v, k); }},
        {"args",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.args = asStrings(v, k); }},
        {"nodeArgs",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.nodeArgs = asStrings(v, k); }},
        {"sourceDir",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.sourceDir = asString(v, k); }},
        {"workingDir", [](ProcessSpec& s, const json& v,
                          const std::string& k) { s.workingDir = asString(v, k); }},
        {"env",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             if (!v.is_object()) {
                 wrongType(k, "an object of strings");
             }
             for (const auto& [name, value] : v.items()) {
                 // "A=B": c would reach the child as A="B=c", silently.
                 if (name.empty() || name.find('=') != std::string::npos ||
                     name.find('\0') != std::string::npos) {
                     throw SpecError(
                         fmt::format("'{}' has an invalid variable name '{}'", k, name));
                 }
                 if (value.is_string()) {
                     s.env.set(name, value.get<std::string>());
                 } else if (value.is_number() || value.is_boolean()) {
                     s.env.set(name, value.dump());  // forever.json users write PORT: 3000
                 } else {
                     throw SpecError(fmt::format("'{}.{}' must be a string or number", k, name));
                 }
             }
         }},
        {"logFile",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.logFile = asString(v, k); }},
        {"outFile",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.outFile = asString(v, k); }},
        {"errFile",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.errFile = asString(v, k); }},
        {"append",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.append = asBool(v, k); }},
        {"timestamp",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.timestamp = asBool(v, k); }},
        {"silent",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.silent = asBool(v, k); }},
        {"logMaxBytes",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.logMaxBytes = static_cast<uint64_t>(asInteger(v, k, 0));
         }},
        {"logKeep",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.logKeep = static_cast<unsigned>(asInteger(v, k, 0));
         }},
        {"logMaxAge",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.logMaxAge = std::chrono::seconds(asInteger(v, k, 0));
         }},
        {"max", [](ProcessSpec& s, const json& v,
                   const std::string& k) { s.max = static_cast<int>(asInteger(v, k, -1)); }},
        {"minUptime",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.minUptime = asMillis(v, k); }},
        {"spinSleepTime",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             if (v.is_null()) {
                 s.spinSleepTime.reset();
             } else {
                 s.spinSleepTime = asMillis(v, k);
             }
         }},
        {"restart",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             auto mode = parseRestartMode(asString(v, k));
             if (!mode) {
                 throw SpecError(fmt::format("'{}' must be always, on-failure or no", k));
             }
             s.restart = *mode;
         }},
        {"restartDelay", [](ProcessSpec& s, const json& v,
                            const std::string& k) { s.restartDelay = asMillis(v, k); }},
        {"restartDelayMax", [](ProcessSpec& s, const json& v,
                               const std::string& k) { s.restartDelayMax = asMillis(v, k); }},
        {"backoffResetAfter", [](ProcessSpec& s, const json& v,
                                 const std::string& k) { s.backoffResetAfter = asMillis(v, k); }},
        {"crashLoopBurst",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.crashLoopBurst = static_cast<unsigned>(asInteger(v, k, 1));
         }},
        {"crashLoopInterval", [](ProcessSpec& s, const json& v,
                                 const std::string& k) { s.crashLoopInterval = asMillis(v, k); }},
        {"alertCommand", [](ProcessSpec& s, const json& v,
                            const std::string& k) { s.alertCommand = asString(v, k); }},
        {"killSignal",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             int sig = v.is_number_integer() ? static_cast<int>(v.get<int64_t>())
                                             : parseSignal(asString(v, k));
             if (sig <= 0 || sig > SIGRTMAX) {
                 throw SpecError(fmt::format("'{}' is not a signal name", k));
             }
             s.killSignal = sig;
         }},
        {"killTimeout", [](ProcessSpec& s, const json& v,
                           const std::string& k) { s.killTimeout = asMillis(v, k); }},
        {"killTree",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.killTree = asBool(v, k); }},
        {"pidFile",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.pidFile = asString(v, k); }},
        {"watch",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.watch = asBool(v, k); }},
        {"watchDirectory", [](ProcessSpec& s, const json& v,
                              const std::string& k) { s.watchDirectory = asString(v, k); }},
        {"watchIgnorePatterns",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.watchIgnorePatterns = asStrings(v, k);
         }},
        {"healthUrl",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             std::string error;
             s.healthUrl = asString(v, k);
             if (!s.healthUrl.empty() && !parseHttpUrl(s.healthUrl, error)) {
                 throw SpecError(fmt::format("'{}': {}", k, error));
             }
         }},
        {"healthInterval",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.healthInterval = static_cast<unsigned>(asInteger(v, k, 1));
         }},
        {"healthFailures",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.healthFailures = static_cast<unsigned>(asInteger(v, k, 1));
         }},
        {"waitReady",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.waitReady = asBool(v, k); }},
        {"listen",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             std::string error;
             s.listen = asString(v, k);
             if (!s.listen.empty() && !parseListenAddress(s.listen, error)) {
                 throw SpecError(fmt::format("'{}': {}", k, error));
             }
         }},
        {"reloadTimeout",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.reloadTimeout = Millis(asInteger(v, k, 1));
         }},
        {"restartAt",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.restartAt = asString(v, k); }},
        {"group",
         [](ProcessSpec& s, const json& v, const std::string& k) { s.group = asString(v, k); }},
        {"watchdogSec",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.watchdogSec = static_cast<unsigned>(asInteger(v, k, 0));
         }},
        {"runAsUid", [](ProcessSpec& s, const json& v,
                        const std::string& k) { s.runAsUid = asInteger(v, k, -1); }},
        {"maxMemory",
         [](ProcessSpec& s, const json& v, const std::string& k) {
             s.maxMemory = static_cast<uint64_t>(asInteger(v, k, 0));
         }},
    };
    return table;
}

}  // namespace

ProcessSpec specFromJson(const json& object) {
    if (!object.is_object()) {
        throw SpecError("a process spec must be an object");
    }
    ProcessSpec spec;
    for (const auto& [key, value] : object.items()) {
        auto it = readers().find(key);
        if (it == readers().end()) {
            throw SpecError(fmt::format("unknown key '{}'", key));
        }
        it->second(spec, value, key);
    }
    if (spec.script.empty()) {
        throw SpecError("'script' is required");
    }
    return spec;
}

void checkSpecKey(const std::string& key, const json& value) {
    auto it = readers().find(key);
    if (it == readers().end()) {
        throw SpecError(fmt::format("unknown key '{}'", key));
    }
    ProcessSpec scratch;
    it->second(scratch, value, key);
}

std::vector<std::string> specKeys() {
    std::vector<std::string> keys;
    for (const auto& [key, reader] : readers()) {
        keys.push_back(key);
    }
    return keys;
}

json specToJson(const ProcessSpec& s) {
    json j{
        {"uid", s.uid},
        {"script", s.script},
        {"command", s.command},
        {"args", s.args},
        {"nodeArgs", s.nodeArgs},
        {"sourceDir", s.sourceDir},
        {"workingDir", s.workingDir},
        {"env", s.env.toMap()},
        {"logFile", s.logFile},
        {"outFile", s.outFile},
        {"errFile", s.errFile},
        {"append", s.append},
        {"timestamp", s.timestamp},
        {"silent", s.silent},
        {"logMaxBytes", s.logMaxBytes},
        {"logKeep", s.logKeep},
        {"logMaxAge", s.logMaxAge.count()},
        {"max", s.max},
        {"minUptime", s.minUptime.count()},
        {"restart", toString(s.restart)},
        {"restartDelay", s.restartDelay.count()},
        {"restartDelayMax", s.restartDelayMax.count()},
        {"backoffResetAfter", s.backoffResetAfter.count()},
        {"crashLoopBurst", s.crashLoopBurst},
        {"crashLoopInterval", s.crashLoopInterval.count()},
        {"alertCommand", s.alertCommand},
        {"killSignal", signalName(s.killSignal)},
        {"killTimeout", s.killTimeout.count()},
        {"killTree", s.killTree},
        {"pidFile", s.pidFile},
        {"maxMemory", s.maxMemory},
        {"runAsUid", s.runAsUid},
        {"waitReady", s.waitReady},
        {"healthUrl", s.healthUrl},
        {"healthInterval", s.healthInterval},
        {"healthFailures", s.healthFailures},
        {"reloadTimeout", s.reloadTimeout.count()},
        {"listen", s.listen},
        {"restartAt", s.restartAt},
        {"group", s.group},
        {"watchdogSec", s.watchdogSec},
        {"watch", s.watch},
        {"watchDirectory", s.watchDirectory},
        {"watchIgnorePatterns", s.watchIgnorePatterns},
    };
    j["spinSleepTime"] = s.spinSleepTime ? json(s.spinSleepTime->count()) : json(nullptr);
    return j;
}

}  // namespace forever
