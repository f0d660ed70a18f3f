#include "cli/completion.hpp"

#include "cli/bus_client.hpp"
#include "cli/option_table.hpp"
#include "cli/process_view.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

std::vector<std::string> completionWords(const std::vector<std::string>& args) {
    const std::string what = args.size() > 1 ? args[1] : "";
    std::vector<std::string> words;
    if (what == "actions") {
        words = verbNames();
    } else if (what == "options") {
        const std::string action = args.size() > 2 ? args[2] : "";
        for (const auto& o : optionTable()) {
            if (appliesTo(o, action)) {
                words.push_back(o.longName);
                if (!o.shortName.empty()) {
                    words.push_back(o.shortName);
                }
            }
        }
    } else if (what == "targets") {
        try {
            BusClient client(false);
            for (const auto& p : listProcesses(client)) {
                words.push_back(p.uid);
            }
        } catch (const std::exception&) {
            // No daemon: nothing to offer, and nothing to print on a prompt.
            words.clear();
        }
    }
    return words;
}

}  // namespace forever::cli
