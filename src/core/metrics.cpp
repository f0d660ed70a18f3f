#include "core/metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <charconv>

#include <fstream>
#include <set>
#include <sstream>

#include "core/proc_tree.hpp"

namespace forever {

namespace fs = std::filesystem;

void SampleRing::push(const Sample& s) {
    samples_[next_] = s;
    next_ = (next_ + 1) % kCapacity;
    if (count_ < kCapacity) {
        ++count_;
    }
}

const Sample& SampleRing::latest() const {
    return samples_[(next_ + kCapacity - 1) % kCapacity];
}

double SampleRing::averageCpu() const {
    if (count_ == 0) {
        return 0;
    }
    double sum = 0;
    for (size_t i = 0; i < count_; ++i) {
        sum += samples_[i].cpuPercent;
    }
    return sum / static_cast<double>(count_);
}

uint64_t SampleRing::averageRss() const {
    if (count_ == 0) {
        return 0;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < count_; ++i) {
        sum += samples_[i].rssBytes;
    }
    return sum / count_;
}

namespace {

void appendPids(const std::string& text, std::vector<pid_t>& out) {
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        pid_t pid = 0;
        auto [next, ec] = std::from_chars(p, end, pid);
        if (ec == std::errc{}) {
            out.push_back(pid);
            p = next;
        } else {
            ++p;  // the separating space or newline
        }
    }
}

// Children are listed per thread (the one that forked them), so every task
// is read; a single-threaded process has only itself to read.
std::vector<pid_t> childrenOf(pid_t pid, unsigned threads, const fs::path& proc) {
    std::vector<pid_t> out;
    const std::string dir = (proc / std::to_string(pid) / "task").string();
    if (threads == 1) {
        appendPids(readProcFile(dir + "/" + std::to_string(pid) + "/children").value_or(""), out);
        return out;
    }
    DIR* tasks = ::opendir(dir.c_str());
    if (!tasks) {
        return out;
    }
    while (const dirent* task = ::readdir(tasks)) {
        if (task->d_name[0] != '.') {
            appendPids(readProcFile(dir + "/" + task->d_name + "/children").value_or(""), out);
        }
    }
    ::closedir(tasks);
    return out;
}

}  // namespace

TreeUsage treeUsage(pid_t root, const fs::path& proc) {
    static const uint64_t pageSize = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    TreeUsage usage;
    std::vector<pid_t> frontier{root};
    std::set<pid_t> seen;
    while (!frontier.empty() && seen.size() < 100000) {
        pid_t pid = frontier.back();
        frontier.pop_back();
        if (!seen.insert(pid).second) {
            continue;
        }
        auto st = readStat(pid, proc);
        if (!st || st->state == 'Z') {
            continue;
        }
        usage.rssBytes += st->rssPages * pageSize;
        // Reaped children's time too: CPUUsageNSec is exported as a counter,
        // and a short-lived worker's seconds must not vanish when it exits.
        usage.cpuTicks += st->utimeTicks + st->stimeTicks + st->reapedChildrenTicks;
        ++usage.processes;
        for (pid_t child : childrenOf(pid, st->threads, proc)) {
            frontier.push_back(child);
        }
    }
    return usage;
}

double cpuPercent(uint64_t ticksBefore, uint64_t ticksNow, std::chrono::nanoseconds elapsed,
                  long ticksPerSecond) {
    if (ticksNow <= ticksBefore || elapsed.count() <= 0 || ticksPerSecond <= 0) {
        return 0;
    }
    double seconds = std::chrono::duration<double>(elapsed).count();
    return static_cast<double>(ticksNow - ticksBefore) / static_cast<double>(ticksPerSecond) /
           seconds * 100.0;
}

const Sample& MetricsTable::record(const std::string& uid, pid_t pid, const TreeUsage& usage,
                                   std::chrono::steady_clock::time_point now, long ticksPerSecond) {
    Entry& e = entries_[uid];
    Sample s;
    s.at = now;
    s.rssBytes = usage.rssBytes;
    if (ticksPerSecond > 0) {
        s.cpuNsec = usage.cpuTicks * (1000000000ull / static_cast<uint64_t>(ticksPerSecond));
    }
    if (e.pid == pid && e.at.time_since_epoch().count() != 0) {
        s.cpuPercent = cpuPercent(e.ticks, usage.cpuTicks, now - e.at, ticksPerSecond);
    }
    e.pid = pid;
    e.ticks = usage.cpuTicks;
    e.at = now;
    e.ring.push(s);
    return e.ring.latest();
}

const SampleRing* MetricsTable::ring(const std::string& uid) const {
    auto it = entries_.find(uid);
    return it == entries_.end() ? nullptr : &it->second.ring;
}

void MetricsTable::forget(const std::string& uid) {
    entries_.erase(uid);
}

}  // namespace forever
