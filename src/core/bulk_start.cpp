// A bulk start (Manager.StartMany, a whole forever.json) spawns its specs a
// slice at a time on a worker thread. All in one dispatch, 10 000 spawns
// held the loop for 7 to 14 s on 2 cores: no D-Bus call, no restart of
// another app and no watchdog ping (WatchdogSec=10 in the unit) in all that
// time. A slice on the loop still left the loop waiting out each child's
// exec (clone with CLONE_VFORK returns once it is done), half of a bulk
// start's time: on a worker, the next slice's children exec while the loop
// enters the last slice's into the table, answers D-Bus calls, a `list`
// included, and restarts other apps.
//
// The slice's children are ours before they are in the table: the daemon's
// sweep of every exited child waits meanwhile (spawningOffLoop), or it could
// reap one that died at once and take it for an orphan. A stopall or a halt
// that comes while a slice is spawned kills what it spawned, once it is back.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>

#include "core/supervisor.hpp"

namespace forever {

struct Supervisor::SpawnSlice {
    struct Entry {
        BulkStart* bulk = nullptr;  // a deque's references survive its push_back
        size_t index = 0;
        std::unique_ptr<Process> process;  // its spec is the request's, read by the worker
        SpawnRequest request;
        SpawnedProcess spawned;
        std::string error;      // the spawn failed (set by the worker)
        std::string cancelled;  // a stopall or halt came meanwhile (set by the loop)
    };
    std::vector<Entry> entries;
};

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
    if (!nextSlice_ && !spawning_) {
        nextSlice_ = loop_.addDeferred([this] { spawnSlice(); });
    }
}

UniqueFd Supervisor::sliceListenSocket(const ProcessSpec& spec, const SpawnSlice& building) {
    // Instances of one app share one socket (Launcher::listenSocketFor); the
    // one bound for a sibling may still be in this slice or the last one.
    for (const SpawnSlice* slice :
         {&building, static_cast<const SpawnSlice*>(registering_.get())}) {
        if (!slice) {
            continue;
        }
        for (const auto& e : slice->entries) {
            const Process* other = e.process.get();
            if (other && other->spec.listen == spec.listen && other->spec.script == spec.script &&
                other->listenSocket) {
                UniqueFd shared(::fcntl(other->listenSocket.get(), F_DUPFD_CLOEXEC, 3));
                if (shared) {
                    return shared;
                }
            }
        }
    }
    return launcher_.listenSocketFor(spec, table_);
}

void Supervisor::spawnSlice() {
    nextSlice_.reset();
    if (spawning_) {
        return;  // sliceSpawned() hands on the next one
    }
    auto slice = std::make_shared<SpawnSlice>();
    // By index: a deque's references survive a push_back (a startMany made
    // by what a spawn sets off), its iterators do not.
    for (size_t b = 0; b < bulkStarts_.size() && slice->entries.size() < kSpawnSlice; ++b) {
        BulkStart& bulk = bulkStarts_[b];
        for (; bulk.next < bulk.specs.size() && slice->entries.size() < kSpawnSlice; ++bulk.next) {
            if (bulk.results[bulk.next]) {
                continue;  // cancelled
            }
            ProcessSpec& spec = bulk.specs[bulk.next];
            SpawnSlice::Entry entry;
            entry.bulk = &bulk;
            entry.index = bulk.next;
            try {
                // prepare() refused queued uids, so this is a safety net; the
                // uid stays queued until its process is in the table.
                queuedUids_.erase(spec.uid);
                requireUidFree(spec.uid);
                queuedUids_.insert(spec.uid);
                auto process = std::make_unique<Process>();
                process->spec = std::move(spec);
                if (!process->spec.listen.empty()) {
                    process->listenSocket = sliceListenSocket(process->spec, *slice);
                }
                entry.request = launcher_.requestFor(*process);
                entry.process = std::move(process);
            } catch (const std::exception& e) {
                const std::string& uid = entry.process ? entry.process->spec.uid : spec.uid;
                bulk.results[bulk.next] = StartResult{uid, e.what()};
                continue;
            }
            ++bulk.spawning;
            slice->entries.push_back(std::move(entry));
        }
    }
    if (!slice->entries.empty()) {
        spawning_ = slice;
        // The work owns the slice (its requests point into its processes'
        // specs) until `done`, even if the supervisor is gone by then.
        spawningDone_ = loop_.runBlocking(
            [slice, &control = control_] {
                for (auto& e : slice->entries) {
                    try {
                        e.spawned = control.spawn(e.request);
                    } catch (const std::exception& error) {
                        e.error = error.what();
                    }
                }
            },
            [this, slice] { sliceSpawned(slice); });
    }
    answerDecided();
}

void Supervisor::sliceSpawned(const std::shared_ptr<SpawnSlice>& slice) {
    spawning_.reset();
    registering_ = slice;
    // The next slice's children exec on the worker while these enter the
    // table.
    spawnSlice();
    for (auto& e : slice->entries) {
        BulkStart& bulk = *e.bulk;
        Process& p = *e.process;
        const std::string uid = p.spec.uid;
        queuedUids_.erase(uid);
        std::string error = e.error;
        if (error.empty() && halting_) {
            error = "foreverd is stopping";
        } else if (error.empty()) {
            error = e.cancelled;
        }
        if (error.empty()) {
            try {
                if (p.spec.watch) {
                    health_.startWatching(p);
                }
                p.run = launcher_.adopt(p, std::move(e.spawned));
                becomeCurrent(p);
                table_.add(std::move(e.process));
                emit(Kind::Added, p);
                emit(Kind::Started, p);
            } catch (const std::exception& ex) {
                error = ex.what();
            }
        }
        if (!error.empty() && e.error.empty() && e.process) {
            // Spawned, but not entering the table (stopped before its turn
            // came, or adopting it failed): it goes at once, with whatever
            // it forked, and the orphan sweep reaps it. Our child, not yet
            // reaped: its pid cannot have been reused.
            control_.kill(-e.spawned.pid, SIGKILL);
            control_.kill(e.spawned.pid, SIGKILL);
        }
        bulk.results[e.index] = StartResult{uid, error};
        --bulk.spawning;
    }
    registering_.reset();
    std::exception_ptr unanswered;
    try {
        answerDecided();
    } catch (...) {
        unanswered = std::current_exception();
    }
    completeHaltIfIdle();
    if (unanswered) {
        std::rethrow_exception(unanswered);
    }
}

void Supervisor::answerDecided() {
    std::exception_ptr failure;
    while (!bulkStarts_.empty() && bulkStarts_.front().next >= bulkStarts_.front().specs.size() &&
           bulkStarts_.front().spawning == 0) {
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
    if (spawning_) {
        // Read by the worker too, but not written: the loop may read them.
        for (auto& e : spawning_->entries) {
            if (e.cancelled.empty() && (!which || which(e.process->spec))) {
                e.cancelled = why;
            }
        }
    }
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

void Supervisor::completeHaltIfIdle() {
    if (haltDone_ && runningCount() == 0 && !spawningOffLoop()) {
        auto done = std::move(haltDone_);
        haltDone_ = nullptr;
        done();
    }
}

}  // namespace forever
