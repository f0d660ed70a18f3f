#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/process.hpp"

namespace forever {

// The supervised processes, in the order they were added (the index `list`
// shows), and every way of finding one: by uid, by pid, by a target as the
// CLI spells it. Owns the Process objects; knows nothing of runs' lives.
class ProcessTable {
  public:
    using Entries = std::vector<std::unique_ptr<Process>>;

    // In order, none erased (the holes erase() leaves are closed first).
    const Entries& entries() const {
        compact();
        return entries_;
    }
    size_t size() const { return entries_.size() - holes_; }

    Process& add(std::unique_ptr<Process> process);
    // Removes (and destroys) `process`; later indexes move down by one.
    void erase(const Process& process);

    Process* findByUid(const std::string& uid) const;
    // The process whose current run has `pid`.
    Process* findByPid(pid_t pid) const;
    // The process whose reload's incoming run has `pid`.
    Process* findByIncomingPid(pid_t pid) const;

    // Hints that keep the lookups by pid O(1) at every reap: `p` has a new
    // current run (its pid is indexed; a lookup never trusts the index
    // without checking the run, and falls back to a scan), and a reload of
    // `p` began or ended (only reloading processes have incoming runs).
    void runBegan(Process& p) const;
    void reloadBegan(Process& p) { reloading_.push_back(&p); }
    void reloadEnded(Process& p) { std::erase(reloading_, &p); }
    // Its position, or size() when it is not in the table.
    size_t indexOf(const Process& process) const;
    size_t runningCount() const;
    // The processes a target (index, uid, script path) names: target.hpp.
    std::vector<Process*> resolve(const std::string& target, const std::string& cwd = {}) const;

    // A fresh uid: 4 characters like forever's, unused, never all digits
    // (those would read as an index).
    std::string generateUid() const;

  private:
    // entries_'s place of `process` (holes included), or entries_.size().
    size_t slotOf(const Process& process) const;
    // Closes the holes: O(n) once for any number of erases before it.
    void compact() const;

    // Erasing leaves a hole (null) where the process was, closed by the
    // next call that needs places (entries(), indexOf(), resolve()): a
    // stopall of 10 000 erased one by one from near the front, and shifting
    // the rest each time was a twelfth of its time. Mutable: closing holes
    // changes no answer.
    mutable Entries entries_;
    mutable std::vector<uint64_t> seqs_;  // entries_[i]'s tableSeq, holes' too
    mutable size_t holes_ = 0;
    std::unordered_map<std::string, Process*> byUid_;
    // pid -> process, at most one key per process (Process::indexedPid).
    mutable std::unordered_map<pid_t, Process*> byPid_;
    std::vector<Process*> reloading_;
    // Given to each process added, increasing: entries_ (appended to, never
    // reordered) stays sorted by it, so a place is a binary search. Storing
    // places instead meant renumbering the rest at every erase, which made
    // stopping 10 000 apps quadratic.
    uint64_t nextSeq_ = 0;
};

}  // namespace forever
