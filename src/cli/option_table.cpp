#include "cli/option_table.hpp"

#include <algorithm>

#include "cli/start_options.hpp"

namespace forever::cli {

namespace {

using K = OptionKind;

const std::vector<Option>& globalOptions() {
    static const std::vector<Option> table{
        {{"--json", "", "", "print JSON for scripts", {}}, K::Flag, "", &Invocation::json},
        {{"--plain", "", "", "no colour, no table borders", {}}, K::Flag, "", &Invocation::plain},
        {{"--no-color", "", "", "no colour (also NO_COLOR=1)", {}},
         K::Flag,
         "",
         &Invocation::noColor},
        {{"--no-colors", "", "", "same as --no-color (forever's name)", {}},
         K::Flag,
         "",
         &Invocation::noColor},
        {{"--colors", "", "", "colour even when not on a terminal", {}},
         K::Flag,
         "",
         &Invocation::forceColor},
        {{"--system", "", "", "talk to the system-wide foreverd", {}},
         K::Flag,
         "",
         &Invocation::system},
        {{"--host",
          "-H",
          "HOST",
          "[USER@]HOST[:PORT]: act on HOST's foreverd over ssh (repeatable; paths are HOST's)",
          {}},
         K::Remote,
         "hosts"},
        {{"--hosts", "", "FILE", "act on every host in FILE (one per line)", {}},
         K::Remote,
         "hostsFile"},
        {{"--machine",
          "-M",
          "NAME",
          "[USER@]NAME: act on the foreverd of local container NAME",
          {}},
         K::Remote,
         "machine"},
        {{"--help", "-h", "", "show help (for an action: help ACTION)", {}},
         K::Flag,
         "",
         &Invocation::help},
        {{"--version", "", "", "print the version", {}}, K::Flag, "", &Invocation::version},
    };
    return table;
}

const std::vector<Option>& logsOptions() {
    static const std::vector<Option> table{
        {{"--follow", "-f", "", "keep printing new lines", {"logs"}},
         K::Flag,
         "",
         &Invocation::follow},
        {{"--lines", "-n", "N", "how many lines to show (default 10)", {"logs"}},
         K::Lines,
         "lines"},
    };
    return table;
}

const std::vector<Option>& webOptions() {
    static const std::vector<Option> table{
        {{"--open", "", "", "open the URL with xdg-open too", {"web"}},
         K::Flag,
         "",
         &Invocation::open},
    };
    return table;
}

const std::vector<Option>& reloadOptions() {
    static const std::vector<Option> table{
        {{"--parallel", "", "K", "reload GROUP: K members at a time (default 1)", {"reload"}},
         K::Parallel,
         "parallel"},
    };
    return table;
}

}  // namespace

const std::vector<Option>& options() {
    static const std::vector<Option> table = [] {
        std::vector<Option> all;
        for (const auto* part :
             {&globalOptions(), &startOptions(), &logsOptions(), &reloadOptions(), &webOptions()}) {
            all.insert(all.end(), part->begin(), part->end());
        }
        return all;
    }();
    return table;
}

const std::vector<OptionInfo>& optionTable() {
    static const std::vector<OptionInfo> infos = [] {
        std::vector<OptionInfo> out;
        for (const auto& o : options()) {
            out.push_back(o.info);
        }
        return out;
    }();
    return infos;
}

const Option* findOption(const std::string& name) {
    for (const auto& o : options()) {
        if (o.info.longName == name || (!o.info.shortName.empty() && o.info.shortName == name)) {
            return &o;
        }
    }
    return nullptr;
}

bool appliesTo(const OptionInfo& o, const std::string& action) {
    return o.actions.empty() ||
           std::find(o.actions.begin(), o.actions.end(), action) != o.actions.end();
}

std::vector<std::string> optionNames() {
    std::vector<std::string> out;
    for (const auto& o : options()) {
        out.push_back(o.info.longName);
    }
    return out;
}

}  // namespace forever::cli
