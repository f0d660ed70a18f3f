#pragma once
// Resource figures of a supervised process's whole tree (the app and every
// descendant): RSS summed, CPU % from the growth of utime+stime between two
// samples. A ring keeps the last 100 samples for averages.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace forever {

struct Sample {
    std::chrono::steady_clock::time_point at;
    uint64_t rssBytes = 0;
    double cpuPercent = 0;  // of one CPU; may exceed 100 with threads
    uint64_t cpuNsec = 0;   // the tree's cumulative CPU time (TreeUsage::cpuTicks)
};

class SampleRing {
  public:
    static constexpr size_t kCapacity = 100;
    void push(const Sample& s);
    size_t size() const { return count_; }
    const Sample& latest() const;  // requires size() > 0
    // The samples kept, oldest first.
    template <typename F>
    void forEach(F&& f) const {
        for (size_t i = 0; i < count_; ++i) {
            f(samples_[(next_ + kCapacity - count_ + i) % kCapacity]);
        }
    }
    double averageCpu() const;
    uint64_t averageRss() const;
    void clear() {
        count_ = 0;
        next_ = 0;
    }

  private:
    Sample samples_[kCapacity];
    size_t next_ = 0;
    size_t count_ = 0;
};

// What one /proc walk of a tree gives.
struct TreeUsage {
    uint64_t rssBytes = 0;
    uint64_t cpuTicks = 0;  // utime+stime of every live member, and what they reaped
    size_t processes = 0;
};

// Reads the tree below `root` through /proc/PID/task/*/children (no scan of
// every process); `proc` is injectable for tests.
TreeUsage treeUsage(pid_t root, const std::filesystem::path& proc = "/proc");

// CPU % between two readings `elapsed` apart. Ticks that went backwards (a
// child exited and took its counters with it) count as no use, not negative.
double cpuPercent(uint64_t ticksBefore, uint64_t ticksNow, std::chrono::nanoseconds elapsed,
                  long ticksPerSecond);

// Keeps one ring and the last reading per uid; feed it a reading per tick.
class MetricsTable {
  public:
    // Returns the new sample. A different pid than last time (a restart)
    // starts the CPU delta afresh instead of comparing two processes.
    const Sample& record(const std::string& uid, pid_t pid, const TreeUsage& usage,
                         std::chrono::steady_clock::time_point now, long ticksPerSecond);
    const SampleRing* ring(const std::string& uid) const;
    void forget(const std::string& uid);
    size_t size() const { return entries_.size(); }
    // Drops every uid not in `keep` (processes that left the table).
    template <typename Set>
    void retain(const Set& keep) {
        std::erase_if(entries_, [&](const auto& e) { return !keep.count(e.first); });
    }

  private:
    struct Entry {
        SampleRing ring;
        pid_t pid = 0;
        uint64_t ticks = 0;
        std::chrono::steady_clock::time_point at;
    };
    std::map<std::string, Entry> entries_;
};

}  // namespace forever
