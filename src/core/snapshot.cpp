// The persisted form of the table (one record per process, what the state
// journal keeps) and bringing it back when foreverd starts again.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include "core/proc_tree.hpp"
#include "core/supervisor.hpp"

namespace forever {

using nlohmann::json;

std::string Supervisor::renderedRecord(const Process& p) const {
    // Rendered anew each time: a record is rendered once per change of its
    // own process (the state journal), so keeping every spec's text (3-4 KB
    // with the caller's environment) cost more memory than it saved time.
    std::string out = "{\"spec\": ";
    out += specToJson(p.spec).dump();
    out += fmt::format(", \"state\": {}, \"restarts\": {}", json(toString(p.state)).dump(),
                       p.restarts);
    if (p.alive() && p.run.pidStartTime) {
        out += fmt::format(", \"pid\": {}, \"pidStartTime\": {}", p.run.pid, p.run.pidStartTime);
    }
    if (p.incoming && p.incoming->pid > 0 && p.incoming->pidStartTime) {
        out += fmt::format(", \"incomingPid\": {}, \"incomingPidStartTime\": {}", p.incoming->pid,
                           p.incoming->pidStartTime);
    }
    out += "}";
    return out;
}

void Supervisor::killLeftovers(const json& entry) {
    // A previous foreverd that died without stopping its children (kill -9
    // outside systemd) left them running (both runs, if it died in a
    // reload): stop those first, so each app runs exactly once and its port
    // is free for the new run.
    if (!entry.is_object()) {
        return;
    }
    for (auto [pidKey, startKey] :
         {std::pair{"pid", "pidStartTime"}, std::pair{"incomingPid", "incomingPidStartTime"}}) {
        if (entry.contains(pidKey) && entry.contains(startKey)) {
            killPlan_.killLeftover(entry[pidKey].get<pid_t>(), entry[startKey].get<uint64_t>());
        }
    }
}

size_t Supervisor::sweepUnrecorded() {
    // A predecessor killed between a spawn and the durable record of it
    // (in the middle of a bulk start) left children no record names: found
    // by the mark every child carries, and stopped, so that what the
    // successor restores runs once and nothing runs unsupervised. Their
    // starts were never answered.
    if (options_.lineage.empty()) {
        return 0;
    }
    size_t swept = 0;
    for (const auto& st : processesCarrying("FOREVER_SUPERVISOR=" + options_.lineage)) {
        if (st.pid != ::getpid()) {
            killPlan_.killLeftover(st.pid, st.startTimeTicks);
            ++swept;
        }
    }
    return swept;
}

std::optional<std::string> Supervisor::restoreRecord(const json& entry) {
    ProcessSpec spec;
    try {
        spec = specFromJson(entry.at("spec"));
    } catch (const std::exception& e) {
        return fmt::format("saved process skipped: {}", e.what());
    }
    std::string state = entry.value("state", "running");
    if (state == "exited") {
        return std::nullopt;  // it finished its work; nothing to bring back
    }
    unsigned restarts = entry.value("restarts", 0u);
    std::string uid = spec.uid;
    try {
        Process& p = start(std::move(spec));
        p.restarts = restarts;
    } catch (const std::exception& e) {
        return fmt::format("saved process '{}' not started: {}", uid, e.what());
    }
    return std::nullopt;
}

}  // namespace forever
