// foreverctl's own settings (~/.config/forever/config.json): config, set,
// clear, columns. No daemon involved.
#include <functional>
#include <iostream>

#include "cli/user_config.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

using nlohmann::json;

namespace {

// Load, change, save: the settings file is rewritten whole.
json editSettings(const std::function<void(json&)>& change) {
    const auto path = userConfigPath();
    json config = loadUserConfig(path);
    change(config);
    saveUserConfig(path, config);
    return config;
}

}  // namespace

int runConfig(const Invocation&, const Output& out) {
    const auto path = userConfigPath();
    json shown = loadUserConfig(path);
    shown["columns"] = columnsOf(shown);
    if (!shown.contains("color"))
        shown["color"] = "auto";
    if (!shown.contains("lines"))
        shown["lines"] = 10;
    if (out.json) {
        printJson(shown);
        return kExitOk;
    }
    for (const auto& [key, value] : shown.items()) {
        std::string text;
        if (value.is_array()) {
            for (const auto& v : value) {
                text += (text.empty() ? "" : ",") + v.get<std::string>();
            }
        } else {
            text = value.is_string() ? value.get<std::string>() : value.dump();
        }
        std::cout << key << " = " << text << "\n";
    }
    std::cout << "(" << path.string() << ")\n";
    return kExitOk;
}

int runSet(const Invocation& inv, const Output&) {
    editSettings([&](json& c) { setConfigValue(c, inv.operands[0], inv.operands[1]); });
    return kExitOk;
}

int runClear(const Invocation& inv, const Output&) {
    editSettings([&](json& c) { clearConfigValue(c, inv.operands[0]); });
    return kExitOk;
}

int runColumns(const Invocation& inv, const Output& out) {
    json config = editSettings([&](json& c) {
        changeColumns(c, inv.operands[0],
                      std::vector<std::string>(inv.operands.begin() + 1, inv.operands.end()));
    });
    if (!out.json) {
        std::string text;
        for (const auto& c : columnsOf(config)) {
            text += (text.empty() ? "" : " ") + c;
        }
        std::cout << "columns: " << text << "\n";
    }
    return kExitOk;
}

}  // namespace forever::cli
