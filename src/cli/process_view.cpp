#include "cli/process_view.hpp"

#include <time.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/exit_status.hpp"

namespace forever::cli {

int64_t realtimeNowUs() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

int64_t ProcessView::uptimeMs(int64_t nowUs) const {
    if (pid == 0 || startedAtUs == 0 || nowUs < static_cast<int64_t>(startedAtUs)) {
        return 0;
    }
    return (nowUs - static_cast<int64_t>(startedAtUs)) / 1000;
}

ProcessView decodeProcess(const ProcessRow& row) {
    // The parameters follow the row's order (Manager.List in dbus/); their
    // types are checked by the compiler, their names by the list tests.
    return std::apply(
        [](const sdbus::ObjectPath& path, uint32_t index, const std::string& uid,
           const std::string& script, const std::string& command,
           const std::vector<std::string>& args, const std::string& workingDirectory, uint32_t pid,
           const std::string& state, uint32_t restarts, uint64_t startedAtUs, int32_t exitCode,
           int32_t exitSignal, const std::string& logFile, const std::string& outFile,
           const std::string& errFile, uint64_t memory, double cpu, uint64_t memoryAverage,
           double cpuAverage, uint32_t samples, uint64_t maxMemory, const std::string& statusText,
           bool ready, uint32_t recentCrashes, const std::string& reason) {
            ProcessView v;
            v.path = path;
            v.index = index;
            v.uid = uid;
            v.script = script;
            v.command = command;
            v.args = args;
            v.workingDirectory = workingDirectory;
            v.pid = pid;
            v.state = state;
            v.restarts = restarts;
            v.startedAtUs = startedAtUs;
            v.exitCode = exitCode;
            v.exitSignal = exitSignal;
            v.logFile = logFile;
            v.outFile = outFile;
            v.errFile = errFile;
            v.memory = memory;
            v.cpu = cpu;
            v.memoryAverage = memoryAverage;
            v.cpuAverage = cpuAverage;
            v.samples = samples;
            v.maxMemory = maxMemory;
            v.statusText = statusText;
            v.ready = ready;
            v.recentCrashes = recentCrashes;
            v.reason = reason;
            return v;
        },
        static_cast<const ProcessTuple&>(row));
}

namespace {

// The members of a group together, at the place of the group's first
// member; the rest stays in index order.
std::vector<ProcessView> groupsTogether(std::vector<ProcessView> out) {
    std::map<std::string, size_t> firstOfGroup;  // group → position of its first member
    std::vector<size_t> place(out.size());       // sort key of each row
    bool grouped = false;
    for (size_t i = 0; i < out.size(); ++i) {
        const std::string& group = out[i].group;
        place[i] = group.empty() ? i : firstOfGroup.emplace(group, i).first->second;
        grouped = grouped || place[i] != i;
    }
    if (!grouped) {
        return out;
    }
    std::vector<size_t> order(out.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return place[a] < place[b]; });
    std::vector<ProcessView> sorted;
    sorted.reserve(out.size());
    for (size_t i : order) {
        sorted.push_back(std::move(out[i]));
    }
    return sorted;
}

// Moves column `from` (if it was sent) into the field `to` of each view.
template <typename T, typename U>
void take(std::vector<T>& from, std::vector<ProcessView>& views, U ProcessView::*to) {
    for (size_t i = 0; i < from.size() && i < views.size(); ++i) {
        views[i].*to = std::move(from[i]);
    }
}

}  // namespace

std::vector<ProcessView> listProcesses(BusClient& client) {
    auto rows = client.call([](ManagerProxy& m) { return m.ListV2(); });
    std::vector<ProcessView> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        out.push_back(decodeProcess(row.get<0>()));
        out.back().group = row.get<1>();
    }
    return groupsTogether(std::move(out));
}

std::vector<ProcessView> listProcesses(BusClient& client, const std::vector<std::string>& fields) {
    std::vector<std::string> names = fields;
    if (std::find(names.begin(), names.end(), "Group") == names.end()) {
        names.push_back("Group");  // for the order
    }
    auto columns = client.call([&](ManagerProxy& m) { return m.ListColumns(names); });
    // The parameters follow the reply's order (Manager.ListColumns in dbus/).
    return std::apply(
        [](auto& path, auto& uid, auto& script, auto& command, auto& args, auto& workingDirectory,
           auto& pid, auto& state, auto& restarts, auto& startedAt, auto& exitCode,
           auto& exitSignal, auto& logFile, auto& outFile, auto& errFile, auto& memory, auto& cpu,
           auto& samples, auto& statusText, auto& recentCrashes, auto& group) {
            std::vector<ProcessView> views(group.size());
            for (size_t i = 0; i < views.size(); ++i) {
                views[i].index = static_cast<uint32_t>(i);
            }
            take(path, views, &ProcessView::path);
            take(uid, views, &ProcessView::uid);
            take(script, views, &ProcessView::script);
            take(command, views, &ProcessView::command);
            take(args, views, &ProcessView::args);
            take(workingDirectory, views, &ProcessView::workingDirectory);
            take(pid, views, &ProcessView::pid);
            take(state, views, &ProcessView::state);
            take(restarts, views, &ProcessView::restarts);
            take(startedAt, views, &ProcessView::startedAtUs);
            take(exitCode, views, &ProcessView::exitCode);
            take(exitSignal, views, &ProcessView::exitSignal);
            take(logFile, views, &ProcessView::logFile);
            take(outFile, views, &ProcessView::outFile);
            take(errFile, views, &ProcessView::errFile);
            take(memory, views, &ProcessView::memory);
            take(cpu, views, &ProcessView::cpu);
            take(samples, views, &ProcessView::samples);
            take(statusText, views, &ProcessView::statusText);
            take(recentCrashes, views, &ProcessView::recentCrashes);
            take(group, views, &ProcessView::group);
            return groupsTogether(std::move(views));
        },
        static_cast<decltype(asTuple(columns))&>(columns));
}

nlohmann::json toJson(const ProcessView& p, int64_t nowUs) {
    using nlohmann::json;
    json j{
        {"index", p.index},
        {"uid", p.uid},
        {"command", p.command},
        {"script", p.script},
        {"args", p.args},
        {"workingDir", p.workingDirectory},
        {"pid", p.pid},
        {"state", p.state},
        {"restarts", p.restarts},
        {"uptime", p.uptimeMs(nowUs)},
        {"startedAt", p.startedAtUs / 1000},
        {"recentCrashes", p.recentCrashes},
        {"reason", p.reason},
        {"logFile", p.logFile},
        {"outFile", p.outFile},
        {"errFile", p.errFile},
        {"memory", p.memory},
        {"cpu", p.cpu},
        {"memoryAverage", p.memoryAverage},
        {"cpuAverage", p.cpuAverage},
        {"samples", p.samples},
        {"maxMemory", p.maxMemory},
        {"statusText", p.statusText},
        {"ready", p.ready},
        {"group", p.group},
    };
    // A signal death has no exit code (and the reverse): null, never 0.
    j["exitCode"] = p.exitCode >= 0 ? json(p.exitCode) : json(nullptr);
    j["exitSignal"] = p.exitSignal ? json(signalName(p.exitSignal)) : json(nullptr);
    return j;
}

}  // namespace forever::cli
