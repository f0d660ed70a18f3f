#include "cli/config_file.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/closest_match.hpp"
#include "cli/spec_builder.hpp"
#include "core/process_spec.hpp"

namespace forever::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Position {
    size_t line = 0;
    size_t column = 0;
};

// Where each value (by JSON pointer) and each key starts in the source, so
// errors found after parsing can still point into the file.
struct SourceMap {
    std::map<std::string, Position> values;
    std::map<std::string, Position> keys;
    Position at(const std::string& pointer, bool key = false) const {
        const auto& m = key ? keys : values;
        auto it = m.find(pointer);
        if (it != m.end()) {
            return it->second;
        }
        // Fall back to the nearest enclosing value.
        auto slash = pointer.rfind('/');
        return slash == std::string::npos || pointer.empty() ? Position{1, 1}
                                                             : at(pointer.substr(0, slash));
    }
};

std::string escapePointer(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

// Walks JSON text that already parsed, recording value and key positions.
class JsonScanner {
  public:
    JsonScanner(const std::string& text, SourceMap& map) : t_(text), map_(map) {}
    void run() {
        skipSpace();
        value("");
    }

  private:
    void skipSpace() {
        while (i_ < t_.size() &&
               (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
            ++i_;
        }
    }
    Position here() {
        // From the last position asked for, not from the start of the text:
        // the scanner only moves forward, and counting from the start made a
        // 10 000-app config take minutes (quadratic in its size).
        for (; seen_ < i_ && seen_ < t_.size(); ++seen_) {
            if (t_[seen_] == '\n') {
                ++line_;
                column_ = 1;
            } else {
                ++column_;
            }
        }
        return {line_, column_};
    }
    std::string string() {
        size_t start = i_++;
        while (i_ < t_.size() && t_[i_] != '"') {
            i_ += t_[i_] == '\\' ? 2 : 1;
        }
        ++i_;
        return json::parse(t_.substr(start, i_ - start)).get<std::string>();
    }
    void value(const std::string& pointer) {
        map_.values[pointer] = here();
        char c = i_ < t_.size() ? t_[i_] : '\0';
        if (c == '{') {
            ++i_;
            skipSpace();
            while (i_ < t_.size() && t_[i_] != '}') {
                Position keyAt = here();
                std::string child = pointer + "/" + escapePointer(string());
                map_.keys[child] = keyAt;
                skipSpace();
                ++i_;  // ':'
                skipSpace();
                value(child);
                skipSpace();
                if (i_ < t_.size() && t_[i_] == ',') {
                    ++i_;
                    skipSpace();
                }
            }
            ++i_;
        } else if (c == '[') {
            ++i_;
            skipSpace();
            for (size_t n = 0; i_ < t_.size() && t_[i_] != ']'; ++n) {
                value(pointer + "/" + std::to_string(n));
                skipSpace();
                if (i_ < t_.size() && t_[i_] == ',') {
                    ++i_;
                    skipSpace();
                }
            }
            ++i_;
        } else if (c == '"') {
            string();
        } else {
            while (i_ < t_.size() &&
                   std::string_view(",]} \t\r\n").find(t_[i_]) == std::string_view::npos) {
                ++i_;
            }
        }
    }

    const std::string& t_;
    SourceMap& map_;
    size_t i_ = 0;
    size_t seen_ = 0;  // here() has counted lines up to this offset
    size_t line_ = 1;
    size_t column_ = 1;
};

json tomlToJson(const toml::node& node, const std::string& pointer, SourceMap& map,
                const std::string& name) {
    map.values[pointer] = {node.source().begin.line, node.source().begin.column};
    if (auto* table = node.as_table()) {
        json out = json::object();
        for (const auto& [key, child] : *table) {
            std::string p = pointer + "/" + escapePointer(std::string(key.str()));
            map.keys[p] = {
                key.source().begin.line ? key.source().begin.line : child.source().begin.line,
                key.source().begin.line ? key.source().begin.column : child.source().begin.column};
            out[std::string(key.str())] = tomlToJson(child, p, map, name);
        }
        return out;
    }
    if (auto* array = node.as_array()) {
        json out = json::array();
        for (size_t n = 0; n < array->size(); ++n) {
            out.push_back(tomlToJson(*array->get(n), pointer + "/" + std::to_string(n), map, name));
        }
        return out;
    }
    if (auto v = node.value<std::string>(); v && node.is_string())
        return *v;
    if (node.is_integer())
        return node.value<int64_t>().value_or(0);
    if (node.is_floating_point())
        return node.value<double>().value_or(0);
    if (node.is_boolean())
        return node.value<bool>().value_or(false);
    throw ConfigError(fmt::format("{}:{}:{}: dates and times are not valid here", name,
                                  node.source().begin.line, node.source().begin.column));
}

bool isFile(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

class AppReader {
  public:
    AppReader(const SourceMap& map, std::string name, fs::path base, std::string profile,
              ScriptCheck scripts)
        : map_(map),
          name_(std::move(name)),
          base_(std::move(base)),
          profile_(std::move(profile)),
          scripts_(scripts) {}

    [[noreturn]] void fail(const std::string& pointer, const std::string& message,
                           bool atKey = false) const {
        Position p = map_.at(pointer, atKey);
        throw ConfigError(fmt::format("{}:{}:{}: {}", name_, p.line, p.column, message));
    }

    json read(const json& app, const std::string& pointer) const {
        if (!app.is_object()) {
            fail(pointer, "each app must be an object (a table in TOML)");
        }
        json spec = json::object();
        json profileEnv;
        const std::vector<std::string> known = specKeys();
        for (const auto& [key, value] : app.items()) {
            const std::string at = pointer + "/" + escapePointer(key);
            if (key.rfind("env_", 0) == 0) {
                if (!value.is_object()) {
                    fail(at, fmt::format("'{}' must be a table of variables", key));
                }
                if (key == "env_" + profile_) {
                    profileEnv = value;
                }
                continue;
            }
            if (key == "instances") {
                if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
                    value.get<int64_t>() > 1000) {
                    fail(at, "'instances' must be a whole number from 1 to 1000");
                }
                spec[key] = value;
                continue;
            }
            // PM2's ecosystem files spell scheduled restarts cron_restart;
            // the calendar syntax is systemd's either way.
            const std::string specKey = key == "cron_restart" ? "restartAt" : key;
            if (specKey != key && app.contains(specKey)) {
                fail(at, fmt::format("'{}' and '{}' are the same setting: give one", key, specKey),
                     true);
            }
            json v = value;
            if (key == "args" && v.is_string()) {
                // forever.json allows "args": "--port 3000".
                std::istringstream words(v.get<std::string>());
                v = json::array();
                for (std::string w; words >> w;) {
                    v.push_back(w);
                }
            }
            try {
                checkSpecKey(specKey, v);
            } catch (const SpecError& e) {
                if (std::find(known.begin(), known.end(), specKey) == known.end()) {
                    auto best = closestMatch(key, known);
                    fail(at,
                         fmt::format("unknown key '{}'{}", key,
                                     best ? fmt::format(" (did you mean '{}'?)", *best) : ""),
                         true);
                }
                fail(at, e.what());
            }
            spec[specKey] = v;
        }
        if (!spec.contains("script")) {
            fail(pointer, "this app has no 'script'");
        }
        fs::path sourceBase = base_;
        if (spec.contains("sourceDir")) {
            sourceBase = resolvePath(base_, spec["sourceDir"]);
            spec["sourceDir"] = sourceBase.string();
        }
        spec["script"] = resolvePath(sourceBase, spec["script"]);
        if (scripts_ == ScriptCheck::Local && !isFile(spec["script"])) {
            fail(pointer + "/script",
                 fmt::format("script not found: {}", spec["script"].get<std::string>()));
        }
        spec["workingDir"] =
            spec.contains("workingDir") ? resolvePath(base_, spec["workingDir"]) : base_.string();
        for (const char* key : {"logFile", "outFile", "errFile", "pidFile", "watchDirectory"}) {
            if (spec.contains(key)) {
                spec[key] = resolvePath(base_, spec[key]);
            }
        }
        if (!profileEnv.is_null()) {
            json env = spec.value("env", json::object());
            env.update(profileEnv);
            try {
                checkSpecKey("env", env);
            } catch (const SpecError& e) {
                fail(pointer + "/env_" + profile_, e.what());
            }
            spec["env"] = env;
        }
        return spec;
    }

  private:
    const SourceMap& map_;
    std::string name_;
    fs::path base_;
    std::string profile_;
    ScriptCheck scripts_;
};

}  // namespace

std::pair<size_t, size_t> lineColumn(const std::string& text, size_t offset) {
    size_t line = 1;
    size_t column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

bool isConfigFile(const std::string& path) {
    auto ext = fs::path(path).extension().string();
    return ext == ".json" || ext == ".toml";
}

std::vector<json> parseConfig(const std::string& text, ConfigFormat format,
                              const std::string& displayName, const fs::path& baseDir,
                              const std::string& envProfile, ScriptCheck scripts) {
    SourceMap map;
    json doc;
    std::vector<std::pair<json, std::string>> apps;  // app, its pointer
    if (format == ConfigFormat::Json) {
        try {
            doc = json::parse(text);
        } catch (const json::parse_error& e) {
            // byte is 1-based and points just past the offending character.
            auto [line, col] = lineColumn(text, e.byte > 0 ? e.byte - 1 : 0);
            std::string what = e.what();
            auto cut = what.find("parse error at");
            if (auto colon = what.find(": ", cut);
                cut != std::string::npos && colon != std::string::npos) {
                what = what.substr(colon + 2);
            }
            throw ConfigError(fmt::format("{}:{}:{}: {}", displayName, line, col, what));
        } catch (const json::exception& e) {
            // Not a syntax error but a value JSON cannot hold (a number
            // beyond a double, found by fuzzing); no position is known.
            std::string what = e.what();
            auto cut = what.find("] ");
            throw ConfigError(fmt::format("{}:1:1: {}", displayName,
                                          cut == std::string::npos ? what : what.substr(cut + 2)));
        }
        JsonScanner(text, map).run();
        if (doc.is_array()) {
            for (size_t n = 0; n < doc.size(); ++n) {
                apps.emplace_back(doc[n], "/" + std::to_string(n));
            }
        } else {
            apps.emplace_back(doc, "");
        }
    } else {
        toml::table table;
        try {
            table = toml::parse(text, displayName);
        } catch (const toml::parse_error& e) {
            throw ConfigError(fmt::format("{}:{}:{}: {}", displayName, e.source().begin.line,
                                          e.source().begin.column, e.description()));
        }
        doc = tomlToJson(table, "", map, displayName);
        if (doc.contains("app")) {
            if (!doc["app"].is_array()) {
                Position p = map.at("/app");
                throw ConfigError(fmt::format("{}:{}:{}: apps are written as [[app]] tables",
                                              displayName, p.line, p.column));
            }
            for (const auto& [key, value] : doc.items()) {
                if (key != "app") {
                    Position p = map.at("/" + escapePointer(key), true);
                    throw ConfigError(fmt::format(
                        "{}:{}:{}: unexpected top-level key '{}': put app settings in [[app]]",
                        displayName, p.line, p.column, key));
                }
            }
            for (size_t n = 0; n < doc["app"].size(); ++n) {
                apps.emplace_back(doc["app"][n], "/app/" + std::to_string(n));
            }
        } else {
            apps.emplace_back(doc, "");
        }
    }
    if (apps.empty()) {
        throw ConfigError(fmt::format("{}:1:1: no apps in this file", displayName));
    }
    AppReader reader(map, displayName, baseDir, envProfile, scripts);
    std::vector<json> specs;
    std::map<std::string, std::string> uids;
    for (const auto& [app, pointer] : apps) {
        json spec = reader.read(app, pointer);
        if (spec.contains("uid")) {
            auto [it, fresh] = uids.emplace(spec["uid"].get<std::string>(), pointer);
            if (!fresh) {
                reader.fail(pointer + "/uid", fmt::format("uid '{}' is used twice in this file",
                                                          spec["uid"].get<std::string>()));
            }
        }
        specs.push_back(std::move(spec));
    }
    return specs;
}

std::vector<json> loadConfigFile(const std::string& path, const std::string& envProfile,
                                 ScriptCheck scripts) {
    std::ifstream in(path);
    if (!in) {
        throw ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto format = fs::path(path).extension() == ".toml" ? ConfigFormat::Toml : ConfigFormat::Json;
    fs::path absolute = fs::absolute(path).lexically_normal();
    return parseConfig(text, format, path, absolute.parent_path(), envProfile, scripts);
}

}  // namespace forever::cli
