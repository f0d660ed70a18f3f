#include "cli/help_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "cli/option_table.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

namespace {

std::string optionLines(const std::function<bool(const OptionInfo&)>& pick) {
    std::string out;
    for (const auto& o : optionTable()) {
        if (!pick(o)) {
            continue;
        }
        std::string names =
            o.shortName.empty() ? "    " + o.longName : o.shortName + ", " + o.longName;
        if (!o.valueName.empty()) {
            names += " " + o.valueName;
        }
        out += fmt::format("  {:<28} {}\n", names, o.help);
    }
    return out;
}

bool isOptionOf(const OptionInfo& o, const std::string& action) {
    return std::find(o.actions.begin(), o.actions.end(), action) != o.actions.end();
}

std::string verbHelp(const std::string& action) {
    std::string out;
    const Verb* verb = findVerb(action);
    if (verb) {
        out += fmt::format("usage: foreverctl {}\n\n{}\n", verb->usage, verb->summary);
    }
    const auto& all = optionTable();
    if (std::any_of(all.begin(), all.end(),
                    [&](const OptionInfo& o) { return isOptionOf(o, action); })) {
        out += "\noptions:\n";
        out += optionLines([&](const OptionInfo& o) { return isOptionOf(o, action); });
    }
    if (verb) {
        out += verb->notes;
    }
    return out;
}

}  // namespace

std::string helpText(const std::string& action) {
    if (!action.empty()) {
        return verbHelp(action);
    }
    std::string out =
        "usage: foreverctl [options] ACTION [options] [SCRIPT|TARGET] [args...]\n\n"
        "Keeps programs running: restarts them when they exit, keeps their logs.\n"
        "Talks to foreverd over D-Bus (systemctl --user start forever).\n\nactions:\n";
    for (const auto& v : verbTable()) {
        out += fmt::format("  {:<34} {}\n", v.usage, v.summary);
    }
    out += "\noptions:\n";
    out += optionLines([](const OptionInfo& o) { return o.actions.empty(); });
    out += "\nstart options: foreverctl help start\n";
    return out;
}

}  // namespace forever::cli
