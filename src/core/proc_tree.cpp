#include "core/proc_tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

namespace forever {

std::optional<ProcStat> parseStat(const std::string& text) {
    auto open = text.find('(');
    auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
        return std::nullopt;
    }
    ProcStat st;
    {
        const char* b = text.data();
        if (std::from_chars(b, b + open, st.pid).ec != std::errc{}) {
            return std::nullopt;
        }
    }
    // Fields after the name, numbered as in proc(5): 3 state, 4 ppid, 5 pgrp,
    // 14 utime, 15 stime, 16 cutime, 17 cstime, 20 num_threads, 22 starttime, 24 rss. Split by
    // hand: the sampler parses this for every process every few seconds,
    // and a stream with a string per field cost more than the read itself.
    std::string_view fields[22];  // fields 3..24
    size_t count = 0;
    std::string_view rest(text);
    rest.remove_prefix(close + 1);
    while (count < std::size(fields)) {
        size_t start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(start);
        size_t end = rest.find_first_of(" \n");
        fields[count++] = rest.substr(0, end);
        if (end == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(end);
    }
    if (count < std::size(fields)) {
        return std::nullopt;
    }
    auto snum = [&](int field) -> long long {
        const size_t i = static_cast<size_t>(field - 3);
        long long v = 0;
        if (i < count) {
            std::from_chars(fields[i].data(), fields[i].data() + fields[i].size(), v);
        }
        return v;
    };
    auto num = [&](int field) -> uint64_t {
        long long v = snum(field);
        return v > 0 ? static_cast<uint64_t>(v) : 0;
    };
    st.state = fields[0].empty() ? '?' : fields[0][0];
    st.ppid = static_cast<pid_t>(snum(4));
    st.pgid = static_cast<pid_t>(snum(5));
    st.utimeTicks = num(14);
    st.stimeTicks = num(15);
    st.reapedChildrenTicks = num(16) + num(17);
    st.threads = static_cast<unsigned>(num(20));
    st.startTimeTicks = num(22);
    st.rssPages = num(24);
    return st;
}

std::optional<std::string> readProcFile(const std::filesystem::path& path) {
    // Plain read(2): a process that exits mid-read makes it fail with ESRCH,
    // which std::ifstream turns into an exception.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ::close(fd);
            if (n < 0) {
                return std::nullopt;
            }
            return text;
        }
        text.append(buf, static_cast<size_t>(n));
        if (text.size() > (1u << 20)) {
            ::close(fd);
            return text;
        }
    }
}

std::optional<ProcStat> readStat(pid_t pid, const std::filesystem::path& proc) {
    auto text = readProcFile(proc / std::to_string(pid) / "stat");
    if (!text) {
        return std::nullopt;
    }
    return parseStat(*text);
}

std::vector<ProcStat> allProcesses(const std::filesystem::path& proc) {
    std::vector<ProcStat> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(proc, ec)) {
        const std::string name = entry.path().filename().string();
        pid_t pid = 0;
        auto [ptr, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (err != std::errc{} || ptr != name.data() + name.size()) {
            continue;
        }
        if (auto st = readStat(pid, proc)) {
            out.push_back(*st);
        }
    }
    return out;
}

std::vector<pid_t> descendantsIn(pid_t root, const std::vector<ProcStat>& table) {
    std::multimap<pid_t, pid_t> children;
    for (const auto& st : table) {
        children.emplace(st.ppid, st.pid);
    }
    std::vector<pid_t> out;
    std::vector<pid_t> frontier{root};
    // Breadth-first so parents come before their children; a pid cycle
    // (impossible in a consistent /proc, possible in a torn read) ends it.
    for (size_t i = 0; i < frontier.size() && frontier.size() < 100000; ++i) {
        auto [b, e] = children.equal_range(frontier[i]);
        for (auto it = b; it != e; ++it) {
            if (it->second == root) {
                continue;
            }
            frontier.push_back(it->second);
            out.push_back(it->second);
        }
    }
    return out;
}

std::vector<pid_t> descendants(pid_t root, const std::filesystem::path& proc) {
    return descendantsIn(root, allProcesses(proc));
}

namespace {

bool environHas(const std::string& text, const std::string& entry) {
    // Whole entries only: "FOREVER_UID=web" must not match "...=web2".
    std::string needle = entry + '\0';
    return text.compare(0, needle.size(), needle) == 0 ||
           text.find('\0' + needle) != std::string::npos;
}

std::string environOf(pid_t pid, const std::filesystem::path& proc) {
    return readProcFile(proc / std::to_string(pid) / "environ").value_or("");
}

}  // namespace

std::vector<pid_t> descendantsCarrying(pid_t root, const std::string& entry,
                                       const std::string& unless,
                                       const std::filesystem::path& proc) {
    std::vector<pid_t> out;
    for (pid_t pid : descendants(root, proc)) {
        std::string text = environOf(pid, proc);
        if (environHas(text, entry) && (unless.empty() || !environHas(text, unless))) {
            out.push_back(pid);
        }
    }
    return out;
}

std::vector<ProcStat> processesCarrying(const std::string& entry,
                                        const std::filesystem::path& proc) {
    std::vector<ProcStat> out;
    for (const auto& st : allProcesses(proc)) {
        if (environHas(environOf(st.pid, proc), entry)) {
            out.push_back(st);
        }
    }
    return out;
}

std::vector<pid_t> processGroupMembers(pid_t pgid, const std::filesystem::path& proc) {
    std::vector<pid_t> out;
    for (const auto& st : allProcesses(proc)) {
        if (st.pgid == pgid) {
            out.push_back(st.pid);
        }
    }
    return out;
}

}  // namespace forever
