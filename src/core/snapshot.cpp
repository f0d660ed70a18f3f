// The persisted form of the table (what StateStore writes after every
// change) and bringing it back when foreverd starts again.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/supervisor.hpp"

namespace forever {

using nlohmann::json;

std::string Supervisor::renderedSnapshot() const {
    // Runs on every change, for the whole table, so it is text assembled
    // from parts: the spec, which never changes after the start, is
    // rendered once (starting 1000 processes took 115 s when every save
    // converted and serialized every spec again).
    std::string out = "[";
    for (const auto& p : table_.entries()) {
        auto cached = specJsonCache_.find(p.get());
        if (cached == specJsonCache_.end()) {
            cached = specJsonCache_.emplace(p.get(), specToJson(p->spec).dump()).first;
        }
        out += out.size() > 1 ? ",\n  {\"spec\": " : "\n  {\"spec\": ";
        out += cached->second;
        out += fmt::format(", \"state\": {}, \"restarts\": {}", json(toString(p->state)).dump(),
                           p->restarts);
        if (p->alive() && p->run.pidStartTime) {
            out +=
                fmt::format(", \"pid\": {}, \"pidStartTime\": {}", p->run.pid, p->run.pidStartTime);
        }
        if (p->incoming && p->incoming->pid > 0 && p->incoming->pidStartTime) {
            out += fmt::format(", \"incomingPid\": {}, \"incomingPidStartTime\": {}",
                               p->incoming->pid, p->incoming->pidStartTime);
        }
        out += "}";
    }
    out += "\n]";
    return out;
}

std::vector<std::string> Supervisor::restore(const json& processes) {
    std::vector<std::string> problems;
    if (!processes.is_array()) {
        problems.push_back("saved state: 'processes' is not a list");
        return problems;
    }
    // A previous foreverd that died without stopping its children (kill -9
    // outside systemd) left them running (both runs, if it died in a
    // reload): stop those first, so each app runs exactly once and its port
    // is free for the new run. All of them before any start: the members of
    // a group share one --listen port, which is free only once every
    // member's leftovers are gone.
    for (const auto& entry : processes) {
        for (auto [pidKey, startKey] :
             {std::pair{"pid", "pidStartTime"}, std::pair{"incomingPid", "incomingPidStartTime"}}) {
            if (entry.is_object() && entry.contains(pidKey) && entry.contains(startKey)) {
                killPlan_.killLeftover(entry[pidKey].get<pid_t>(), entry[startKey].get<uint64_t>());
            }
        }
    }
    for (const auto& entry : processes) {
        ProcessSpec spec;
        try {
            spec = specFromJson(entry.at("spec"));
        } catch (const std::exception& e) {
            problems.push_back(fmt::format("saved process skipped: {}", e.what()));
            continue;
        }
        std::string state = entry.value("state", "running");
        if (state == "exited") {
            continue;  // it finished its work; nothing to bring back
        }
        unsigned restarts = entry.value("restarts", 0u);
        std::string uid = spec.uid;
        try {
            Process& p = start(std::move(spec));
            p.restarts = restarts;
        } catch (const std::exception& e) {
            problems.push_back(fmt::format("saved process '{}' not started: {}", uid, e.what()));
        }
    }
    return problems;
}

}  // namespace forever
