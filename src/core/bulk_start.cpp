// A bulk start (Manager.StartMany, a whole forever.json) spawns its specs a
// slice per loop iteration. All in one dispatch, 10 000 spawns held the loop
// for 7 to 13 s on 2 cores: no D-Bus call, no restart of another app and no
// watchdog ping (WatchdogSec=10 in the unit) in all that time. Between
// slices the loop serves everything else, a `list` included, which shows
// the apps started so far.
#include <fmt/format.h>

#include "core/supervisor.hpp"

namespace forever {

void Supervisor::startMany(std::vector<ProcessSpec> specs, StartedMany done) {
    if (specs.empty()) {
        done({});
        return;
    }
    BulkStart bulk;
    bulk.results.reserve(specs.size());
    bulk.specs = std::move(specs);
    bulk.done = std::move(done);
    bulkStarts_.push_back(std::move(bulk));
    if (!nextSlice_) {
        nextSlice_ = loop_.addDeferred([this] { spawnSlice(); });
    }
}

void Supervisor::spawnSlice() {
    nextSlice_.reset();
    size_t spawned = 0;
    while (!bulkStarts_.empty() && spawned < kSpawnSlice) {
        BulkStart& bulk = bulkStarts_.front();
        while (bulk.results.size() < bulk.specs.size() && spawned < kSpawnSlice) {
            ProcessSpec& spec = bulk.specs[bulk.results.size()];
            StartResult result{spec.uid, {}};
            try {
                // Checked whole when the call came; the table may have
                // changed since (another Start of the same uid).
                if (findByUid(spec.uid)) {
                    throw SupervisorError(
                        SupervisorError::Code::AlreadyExists,
                        fmt::format("a process with uid '{}' already exists", spec.uid));
                }
                startPrepared(std::move(spec));
            } catch (const std::exception& e) {
                result.error = e.what();
            }
            bulk.results.push_back(std::move(result));
            ++spawned;
        }
        if (bulk.results.size() == bulk.specs.size()) {
            auto finished = std::move(bulk);
            bulkStarts_.pop_front();
            finished.done(std::move(finished.results));
        }
    }
    if (!bulkStarts_.empty() && !nextSlice_) {
        nextSlice_ = loop_.addDeferred([this] { spawnSlice(); });
    }
}

void Supervisor::cancelPendingStarts(const std::string& why) {
    nextSlice_.reset();
    auto pending = std::move(bulkStarts_);
    bulkStarts_.clear();
    for (auto& bulk : pending) {
        for (size_t i = bulk.results.size(); i < bulk.specs.size(); ++i) {
            bulk.results.push_back({bulk.specs[i].uid, why});
        }
        bulk.done(std::move(bulk.results));
    }
}

}  // namespace forever
