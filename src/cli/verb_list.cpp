#include <algorithm>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/process_list.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

using nlohmann::json;

int runList(const Invocation& inv, const Output& out) {
    BusClient client(inv.system);
    // The table needs a few fields of each process (ListColumns); --json
    // shows them all (ListV2).
    const auto columns = out.json ? std::vector<std::string>{} : listColumns();
    auto fields = fieldsShownBy(columns);
    if (!inv.operands.empty()) {
        fields.push_back("Path");  // what Find answers with
    }
    auto all = out.json ? listProcesses(client) : listProcesses(client, fields);
    if (!inv.operands.empty()) {
        // `list api`: what the TARGET names (a group: its members), as foreverd resolves it.
        auto paths = client.call([&](ManagerProxy& m) { return m.Find(inv.operands.front()); });
        std::erase_if(all, [&](const ProcessView& p) {
            return std::find(paths.begin(), paths.end(), sdbus::ObjectPath(p.path)) == paths.end();
        });
    }
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
    std::cout << renderList(all, columns, out);
    return kExitOk;
}

}  // namespace forever::cli
