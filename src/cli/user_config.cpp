#include "cli/user_config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/closest_match.hpp"
#include "cli/usage_error.hpp"

namespace forever::cli {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string>& allColumns() {
    static const std::vector<std::string> columns{
        "index",  "uid",   "command", "script", "pid", "uptime",   "restarts", "cpu",
        "memory", "state", "logfile", "args",   "dir", "exitcode", "status"};
    return columns;
}

const std::vector<std::string>& defaultColumns() {
    static const std::vector<std::string> columns{
        "index", "uid", "command", "script", "pid", "uptime", "restarts", "cpu", "memory", "state"};
    return columns;
}

const std::vector<std::string>& configKeys() {
    static const std::vector<std::string> keys{"columns", "color", "lines"};
    return keys;
}

fs::path userConfigPath() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    fs::path base = xdg && *xdg == '/'
                        ? fs::path(xdg)
                        : fs::path(std::getenv("HOME") ? std::getenv("HOME") : "/") / ".config";
    return base / "forever" / "config.json";
}

json loadUserConfig(const fs::path& path) {
    std::ifstream in(path);
    if (!in) {
        return json::object();
    }
    try {
        json config = json::parse(in);
        if (!config.is_object()) {
            throw UsageError(
                fmt::format("{}: not a JSON object (fix or delete it)", path.string()));
        }
        return config;
    } catch (const json::parse_error& e) {
        throw UsageError(fmt::format("{}: {} (fix or delete it)", path.string(), e.what()));
    }
}

void saveUserConfig(const fs::path& path, const json& config) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << config.dump(2) << "\n";
        if (!out.flush()) {
            throw UsageError(fmt::format("cannot write {}", tmp));
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        throw UsageError(fmt::format("cannot write {}: {}", path.string(), ec.message()));
    }
}

namespace {

void checkColumn(const std::string& name) {
    const auto& all = allColumns();
    if (std::find(all.begin(), all.end(), name) == all.end()) {
        std::string hint = didYouMean(name, all);
        std::string known;
        for (const auto& c : all) {
            known += (known.empty() ? "" : ", ") + c;
        }
        throw UsageError(fmt::format("unknown column '{}'{}; columns: {}", name, hint, known));
    }
}

std::vector<std::string> splitList(const std::string& value) {
    std::vector<std::string> out;
    std::stringstream in(value);
    for (std::string item; std::getline(in, item, ',');) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

void checkKey(const std::string& key) {
    const auto& keys = configKeys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        throw UsageError(fmt::format("unknown setting '{}'; settings: columns, color, lines", key));
    }
}

}  // namespace

void setConfigValue(json& config, const std::string& key, const std::string& value) {
    checkKey(key);
    if (key == "columns") {
        changeColumns(config, "set", splitList(value));
    } else if (key == "color") {
        if (value != "auto" && value != "always" && value != "never") {
            throw UsageError("color must be auto, always or never");
        }
        config["color"] = value;
    } else if (key == "lines") {
        unsigned long n = 0;
        try {
            size_t used = 0;
            n = std::stoul(value, &used);
            if (used != value.size()) {
                throw std::invalid_argument(value);
            }
        } catch (const std::exception&) {
            throw UsageError(fmt::format("lines must be a whole number, not '{}'", value));
        }
        config["lines"] = n;
    }
}

void clearConfigValue(json& config, const std::string& key) {
    checkKey(key);
    config.erase(key);
}

std::vector<std::string> columnsOf(const json& config) {
    if (config.contains("columns") && config["columns"].is_array()) {
        std::vector<std::string> out;
        for (const auto& c : config["columns"]) {
            if (c.is_string() && std::find(allColumns().begin(), allColumns().end(),
                                           c.get<std::string>()) != allColumns().end()) {
                out.push_back(c.get<std::string>());
            }
        }
        if (!out.empty()) {
            return out;
        }
    }
    return defaultColumns();
}

void changeColumns(json& config, const std::string& verb, const std::vector<std::string>& names) {
    if (verb != "add" && verb != "rm" && verb != "set") {
        throw UsageError(fmt::format("columns: '{}' is not add, rm or set", verb));
    }
    if (names.empty()) {
        throw UsageError(fmt::format("columns {}: name at least one column", verb));
    }
    for (const auto& n : names) {
        checkColumn(n);
    }
    std::vector<std::string> columns =
        verb == "set" ? std::vector<std::string>{} : columnsOf(config);
    for (const auto& n : names) {
        auto at = std::find(columns.begin(), columns.end(), n);
        if (verb == "rm") {
            if (at != columns.end()) {
                columns.erase(at);
            }
        } else if (at == columns.end()) {
            columns.push_back(n);
        }
    }
    if (columns.empty()) {
        throw UsageError("list needs at least one column");
    }
    config["columns"] = columns;
}

}  // namespace forever::cli
