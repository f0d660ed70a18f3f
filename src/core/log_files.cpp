#include "core/log_files.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/log_cleanup.hpp"
#include "core/log_sink.hpp"
#include "core/process_table.hpp"

namespace forever {

namespace {
// Hourly is plenty for an age counted in days, and costs nothing idle.
constexpr std::chrono::hours kPruneEvery{1};
}  // namespace

LogFiles::LogFiles(EventLoop& loop, const SupervisorOptions& options)
    : loop_(loop), options_(options) {
    pruneTimer_ = loop_.addTimer(kPruneEvery, [this] { prune(); });
}

std::shared_ptr<LogSink> LogFiles::open(const std::string& path, const Process& p) {
    if (auto existing = open_[path].lock()) {
        return existing;
    }
    RotationPolicy rotation;
    rotation.maxBytes = p.spec.logMaxBytes;
    rotation.keep = p.spec.logKeep;
    rotation.maxAge = p.spec.logMaxAge;
    // Truncation happens once, when the process is added, never on restarts:
    // a crash's last words must survive the restart that follows it.
    bool append = p.spec.append || p.hasExited || p.restarts > 0;
    auto file = std::make_shared<LogSink>(loop_, path, append, rotation);
    open_[path] = file;
    return file;
}

std::string LogFiles::defaultPathOf(const ProcessSpec& spec) const {
    return (options_.defaultLogDir / (spec.uid + ".log")).string();
}

std::vector<std::string> LogFiles::pathsOf(const Process& p) const {
    const ProcessSpec& s = p.spec;
    std::vector<std::string> out;
    for (const std::string* f : {&s.logFile, &s.outFile, &s.errFile}) {
        if (!f->empty()) {
            out.push_back(*f);
        }
    }
    if (out.empty() && !options_.journal && !s.silent) {
        out.push_back(defaultPathOf(s));
    }
    return out;
}

void LogFiles::retire(const Process& p) {
    for (auto& f : pathsOf(p)) {
        retired_.push_back(std::move(f));
    }
}

std::vector<std::string> LogFiles::clean(const ProcessTable& table) {
    std::vector<LogOwner> owners;
    for (const auto& p : table.entries()) {
        owners.push_back({pathsOf(*p), p->state != ProcState::Exited &&
                                           p->state != ProcState::Failed &&
                                           p->state != ProcState::Stopped});
    }
    auto removed = cleanLogs(owners, retired_, options_.defaultLogDir);
    retired_.clear();
    return removed;
}

void LogFiles::prune() {
    for (auto& [path, weak] : open_) {
        if (auto file = weak.lock()) {
            file->pruneOld();
        }
    }
    std::erase_if(open_, [](const auto& entry) { return entry.second.expired(); });
    pruneTimer_ = loop_.addTimer(kPruneEvery, [this] { prune(); });
}

}  // namespace forever
