// A bulk start (Manager.StartMany, a whole forever.json) spawns its specs a
// slice per loop iteration. All in one dispatch, 10 000 spawns held the loop
// for 7 to 14 s on 2 cores: no D-Bus call, no restart of another app and no
// watchdog ping (WatchdogSec=10 in the unit) in all that time. Between
// slices the loop serves everything else, a `list` included, which shows
// the apps started so far.
#include <algorithm>

#include "core/supervisor.hpp"

namespace forever {

void Supervisor::startMany(std::vector<ProcessSpec> specs, StartedMany done) {
    if (halting_) {
        // Nothing may start once the halt stopped what runs.
        std::vector<StartResult> refused;
        for (const auto& spec : specs) {
            refused.push_back({spec.uid, "foreverd is stopping"});
        }
        done(std::move(refused));
        return;
    }
    if (specs.empty()) {
        done({});
        return;
    }
    BulkStart bulk;
    bulk.results.resize(specs.size());
    for (const auto& spec : specs) {
        queuedUids_.insert(spec.uid);
    }
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
    // By index: a deque's references survive a push_back (a startMany made
    // by what a spawn sets off), its iterators do not.
    for (size_t b = 0; b < bulkStarts_.size() && spawned < kSpawnSlice; ++b) {
        BulkStart& bulk = bulkStarts_[b];
        for (; bulk.next < bulk.specs.size() && spawned < kSpawnSlice; ++bulk.next) {
            if (bulk.results[bulk.next]) {
                continue;  // cancelled
            }
            ProcessSpec& spec = bulk.specs[bulk.next];
            StartResult result{spec.uid, {}};
            queuedUids_.erase(spec.uid);
            try {
                // prepare() refused queued uids, so this is a safety net.
                requireUidFree(spec.uid);
                startPrepared(std::move(spec));
            } catch (const std::exception& e) {
                result.error = e.what();
            }
            bulk.results[bulk.next] = std::move(result);
            ++spawned;
        }
    }
    if (!nextSlice_ && std::any_of(bulkStarts_.begin(), bulkStarts_.end(),
                                   [](const auto& b) { return b.next < b.specs.size(); })) {
        nextSlice_ = loop_.addDeferred([this] { spawnSlice(); });
    }
    answerDecided();
}

void Supervisor::answerDecided() {
    std::exception_ptr failure;
    while (!bulkStarts_.empty() && bulkStarts_.front().next >= bulkStarts_.front().specs.size()) {
        BulkStart finished = std::move(bulkStarts_.front());
        bulkStarts_.pop_front();
        std::vector<StartResult> results;
        results.reserve(finished.results.size());
        for (auto& r : finished.results) {
            results.push_back(std::move(*r));
        }
        try {
            finished.done(std::move(results));
        } catch (...) {
            if (!failure) {
                failure = std::current_exception();
            }
        }
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

void Supervisor::cancelPendingStarts(const std::string& why,
                                     const std::function<bool(const ProcessSpec&)>& which) {
    for (auto& bulk : bulkStarts_) {
        for (size_t i = bulk.next; i < bulk.specs.size(); ++i) {
            if (!bulk.results[i] && (!which || which(bulk.specs[i]))) {
                bulk.results[i] = StartResult{bulk.specs[i].uid, why};
                queuedUids_.erase(bulk.specs[i].uid);
            }
        }
        while (bulk.next < bulk.specs.size() && bulk.results[bulk.next]) {
            ++bulk.next;
        }
    }
    answerDecided();
}

}  // namespace forever
