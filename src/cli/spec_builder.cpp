#include "cli/spec_builder.hpp"

#include <fmt/format.h>

#include "cli/start_options.hpp"

namespace forever::cli {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Keys whose values are milliseconds/counts: D-Bus type t (or i for max).
bool isSignedKey(const std::string& key) {
    return key == "max";
}

}  // namespace

std::string resolvePath(const fs::path& base, const std::string& path) {
    fs::path p(path);
    if (path.rfind("~/", 0) == 0 && std::getenv("HOME")) {
        p = fs::path(std::getenv("HOME")) / path.substr(2);
    }
    fs::path out = (p.is_absolute() ? p : base / p).lexically_normal();
    // "a/.." normalises to "a/": no trailing slash in what users see.
    if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) {
        out = out.parent_path();
    }
    return out.string();
}

std::vector<json> expandInstances(json spec) {
    if (!spec.contains("instances")) {
        std::vector<json> one;
        one.push_back(std::move(spec));  // not {spec}: a list-initializer copies
        return one;
    }
    const json n = spec["instances"];
    spec.erase("instances");
    if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > 1000) {
        throw UsageError("instances must be a whole number from 1 to 1000");
    }
    std::string base = spec.value("uid", "");
    if (base.empty()) {
        base = fs::path(spec.value("script", "app")).stem().string();
    }
    std::vector<json> out;
    for (int64_t i = 0; i < n.get<int64_t>(); ++i) {
        json one = spec;
        one["uid"] = base + "-" + std::to_string(i);
        one["group"] = base;  // so "api" names them all, also after a restart
        one["env"]["FOREVER_INSTANCE"] = std::to_string(i);
        out.push_back(std::move(one));
    }
    return out;
}

json buildStartSpec(const Invocation& inv, const fs::path& cwd,
                    const std::map<std::string, std::string>& environment) {
    json spec = inv.spec;
    fs::path sourceBase = cwd;
    if (spec.contains("sourceDir")) {
        sourceBase = resolvePath(cwd, spec["sourceDir"].get<std::string>());
        spec["sourceDir"] = sourceBase.string();
    }
    spec["script"] = resolvePath(sourceBase, inv.operands.at(0));
    spec["args"] = inv.scriptArgs;
    spec["workingDir"] = spec.contains("workingDir")
                             ? resolvePath(cwd, spec["workingDir"].get<std::string>())
                             : cwd.string();
    fs::path logBase = cwd;
    if (spec.contains("path")) {
        logBase = resolvePath(cwd, spec["path"].get<std::string>());
        spec.erase("path");
    }
    for (const char* key : {"logFile", "outFile", "errFile"}) {
        if (spec.contains(key)) {
            spec[key] = resolvePath(logBase, spec[key].get<std::string>());
        }
    }
    for (const char* key : {"pidFile", "watchDirectory"}) {
        if (spec.contains(key)) {
            spec[key] = resolvePath(cwd, spec[key].get<std::string>());
        }
    }
    json env = json::object();
    for (const auto& [k, v] : environment) {
        env[k] = v;
    }
    for (const auto& text : inv.envSettings) {
        auto setting = parseEnvSetting(text);
        env[setting.key] = setting.value;
    }
    spec["env"] = std::move(env);
    return spec;
}

std::map<std::string, sdbus::Variant> toVariants(const json& spec) {
    std::map<std::string, sdbus::Variant> out;
    for (const auto& [key, value] : spec.items()) {
        if (value.is_string()) {
            out.emplace(key, sdbus::Variant(value.get<std::string>()));
        } else if (value.is_boolean()) {
            out.emplace(key, sdbus::Variant(value.get<bool>()));
        } else if (value.is_number_integer()) {
            if (isSignedKey(key)) {
                out.emplace(key, sdbus::Variant(static_cast<int32_t>(value.get<int64_t>())));
            } else if (value.is_number_unsigned() || value.get<int64_t>() >= 0) {
                out.emplace(key, sdbus::Variant(value.get<uint64_t>()));
            } else {
                out.emplace(key, sdbus::Variant(value.get<int64_t>()));
            }
        } else if (value.is_array()) {
            std::vector<std::string> list;
            for (const auto& item : value) {
                list.push_back(item.is_string() ? item.get<std::string>() : item.dump());
            }
            out.emplace(key, sdbus::Variant(list));
        } else if (value.is_object()) {
            std::map<std::string, std::string> map;
            for (const auto& [k, v] : value.items()) {
                map[k] = v.is_string() ? v.get<std::string>() : v.dump();
            }
            out.emplace(key, sdbus::Variant(map));
        } else if (!value.is_null()) {
            throw UsageError(fmt::format("'{}' has a value D-Bus cannot carry", key));
        }
    }
    return out;
}

}  // namespace forever::cli
