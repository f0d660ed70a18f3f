#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/process_list.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

using nlohmann::json;

int runList(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    auto all = listProcesses(client);
    const int64_t now = realtimeNowUs();
    if (out.json) {
        json list = json::array();
        for (const auto& p : all) {
            list.push_back(toJson(p, now));
        }
        printJson(list);
        return kExitOk;
    }
    if (all.empty()) {
        std::cout << "No forever processes running\n";
        return kExitOk;
    }
    std::cout << renderList(all, out);
    return kExitOk;
}

}  // namespace forever::cli
