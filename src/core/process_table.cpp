#include "core/process_table.hpp"

#include <algorithm>
#include <random>

#include "core/target.hpp"

namespace forever {

// Indexed by uid, place and pid, since each is asked for per app in bulk
// (a start checks the uid is free, List gives every row its index, every
// reap finds its process): a scan of the table each time made starting,
// listing and stopping 10 000 apps quadratic.
Process& ProcessTable::add(std::unique_ptr<Process> process) {
    process->tableSeq = nextSeq_++;
    byUid_[process->spec.uid] = process.get();
    seqs_.push_back(process->tableSeq);
    entries_.push_back(std::move(process));
    Process& added = *entries_.back();
    added.indexedPid = 0;
    runBegan(added);  // its first run began before it entered the table
    return added;
}

void ProcessTable::erase(const Process& process) {
    size_t slot = slotOf(process);
    if (slot >= entries_.size()) {
        return;
    }
    if (auto found = byUid_.find(process.spec.uid);
        found != byUid_.end() && found->second == &process) {
        byUid_.erase(found);
    }
    if (auto found = byPid_.find(process.indexedPid);
        found != byPid_.end() && found->second == &process) {
        byPid_.erase(found);
    }
    std::erase(reloading_, &process);
    entries_[slot].reset();
    ++holes_;
}

size_t ProcessTable::slotOf(const Process& process) const {
    auto at = std::lower_bound(seqs_.begin(), seqs_.end(), process.tableSeq);
    const auto slot = static_cast<size_t>(at - seqs_.begin());
    return slot < entries_.size() && entries_[slot].get() == &process ? slot : entries_.size();
}

void ProcessTable::compact() const {
    if (holes_ == 0) {
        return;
    }
    size_t to = 0;
    for (size_t from = 0; from < entries_.size(); ++from) {
        if (entries_[from]) {
            entries_[to] = std::move(entries_[from]);
            seqs_[to] = seqs_[from];
            ++to;
        }
    }
    entries_.resize(to);
    seqs_.resize(to);
    holes_ = 0;
}

Process* ProcessTable::findByUid(const std::string& uid) const {
    auto found = byUid_.find(uid);
    return found == byUid_.end() ? nullptr : found->second;
}

void ProcessTable::runBegan(Process& p) const {
    // Only a process in the table is indexed: a hint for one that never
    // enters it (its start threw) must not leave a pointer behind.
    if (p.indexedPid == p.run.pid || slotOf(p) == entries_.size()) {
        return;
    }
    if (auto found = byPid_.find(p.indexedPid); found != byPid_.end() && found->second == &p) {
        byPid_.erase(found);
    }
    p.indexedPid = p.run.pid;
    if (p.run.pid > 0) {
        byPid_[p.run.pid] = &p;
    }
}

Process* ProcessTable::findByPid(pid_t pid) const {
    if (pid <= 0) {
        return nullptr;
    }
    if (auto found = byPid_.find(pid); found != byPid_.end() && found->second->run.pid == pid) {
        return found->second;
    }
    // Not indexed (a run begun where no hint was given): the scan, once.
    for (const auto& p : entries_) {
        if (p && p->run.pid == pid) {
            runBegan(*p);
            return p.get();
        }
    }
    return nullptr;
}

Process* ProcessTable::findByIncomingPid(pid_t pid) const {
    if (pid <= 0) {
        return nullptr;
    }
    for (Process* p : reloading_) {
        if (p->incoming && p->incoming->pid == pid) {
            return p;
        }
    }
    return nullptr;
}

size_t ProcessTable::indexOf(const Process& process) const {
    compact();
    size_t slot = slotOf(process);
    return slot < entries_.size() ? slot : size();
}

size_t ProcessTable::runningCount() const {
    return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                             [](const auto& p) { return p && p->alive(); }));
}

std::vector<Process*> ProcessTable::resolve(const std::string& target,
                                            const std::string& cwd) const {
    compact();
    std::vector<TargetCandidate> candidates;
    candidates.reserve(entries_.size());
    for (const auto& p : entries_) {
        candidates.push_back({p->spec.uid, p->spec.script, p->spec.group});
    }
    std::vector<Process*> out;
    for (size_t i : resolveTarget(target, candidates, cwd)) {
        out.push_back(entries_[i].get());
    }
    return out;
}

std::string ProcessTable::generateUid() const {
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    static std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<size_t> pick(0, sizeof alphabet - 2);
    for (;;) {
        std::string uid;
        for (int i = 0; i < 4; ++i) {
            uid += alphabet[pick(rng)];
        }
        if (!findByUid(uid) && !std::all_of(uid.begin(), uid.end(), ::isdigit)) {
            return uid;
        }
    }
}

}  // namespace forever
