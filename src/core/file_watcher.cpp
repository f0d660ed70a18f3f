#include "core/file_watcher.hpp"

#include <fnmatch.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace forever {

namespace fs = std::filesystem;

namespace {
constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                           IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF;

bool alwaysIgnored(const std::string& component) {
    return component == "node_modules" || (!component.empty() && component.front() == '.');
}
}  // namespace

bool isIgnoredPath(const std::string& relative, const std::vector<std::string>& patterns) {
    std::vector<std::string> components;
    std::stringstream parts(relative);
    for (std::string c; std::getline(parts, c, '/');) {
        if (!c.empty()) {
            components.push_back(c);
        }
    }
    for (const auto& c : components) {
        if (alwaysIgnored(c)) {
            return true;
        }
    }
    for (const auto& pattern : patterns) {
        if (::fnmatch(pattern.c_str(), relative.c_str(), 0) == 0) {
            return true;
        }
        for (const auto& c : components) {
            if (::fnmatch(pattern.c_str(), c.c_str(), 0) == 0) {
                return true;
            }
        }
        // "logs/**" also means the directory "logs" itself.
        if (pattern.size() > 3 && pattern.compare(pattern.size() - 3, 3, "/**") == 0 &&
            relative == pattern.substr(0, pattern.size() - 3)) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> parseIgnoreFile(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        auto start = line.find_first_not_of(" \t");
        auto end = line.find_last_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') {
            continue;
        }
        out.push_back(line.substr(start, end - start + 1));
    }
    return out;
}

FileWatcher::FileWatcher(EventLoop& loop, fs::path root, std::vector<std::string> ignore,
                         Millis debounce, OnChange onChange)
    : loop_(loop),
      root_(std::move(root)),
      ignore_(std::move(ignore)),
      debounce_(debounce),
      onChange_(std::move(onChange)),
      fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (!fd_) {
        throw std::system_error(errno, std::generic_category(), "inotify_init1");
    }
    std::ifstream file(root_ / ".foreverignore");
    if (file) {
        std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        for (auto& p : parseIgnoreFile(text)) {
            ignore_.push_back(std::move(p));
        }
    }
    addTree(root_);
    if (dirs_.empty()) {
        throw std::system_error(ENOENT, std::generic_category(), "cannot watch " + root_.string());
    }
    watch_ = loop_.addReadable(fd_.get(), [this] { onReadable(); });
}

FileWatcher::~FileWatcher() = default;  // closing the fd drops every watch

std::string FileWatcher::relative(const fs::path& p) const {
    return p.lexically_relative(root_).generic_string();
}

void FileWatcher::addTree(const fs::path& dir) {
    if (dir != root_ && isIgnoredPath(relative(dir), ignore_)) {
        return;
    }
    int wd = ::inotify_add_watch(fd_.get(), dir.c_str(), kMask | IN_ONLYDIR);
    if (wd < 0) {
        return;  // vanished meanwhile, or no permission: nothing to watch there
    }
    dirs_[wd] = dir;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
            addTree(entry.path());
        }
    }
}

void FileWatcher::onReadable() {
    alignas(struct inotify_event) char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n <= 0) {
            return;  // EAGAIN: drained
        }
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<struct inotify_event*>(p);
            p += sizeof(struct inotify_event) + ev->len;
            if (ev->mask & IN_IGNORED) {
                dirs_.erase(ev->wd);
                continue;
            }
            auto dir = dirs_.find(ev->wd);
            if (dir == dirs_.end() || ev->len == 0) {
                continue;
            }
            fs::path path = dir->second / ev->name;
            std::string rel = relative(path);
            if (isIgnoredPath(rel, ignore_)) {
                continue;
            }
            if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && (ev->mask & IN_ISDIR)) {
                addTree(path);  // files created in it before the watch are caught by the restart
            }
            if (firstChange_.empty()) {
                firstChange_ = rel;
            }
            // Every change pushes the deadline: one restart per burst.
            debounceTimer_ = loop_.addTimer(debounce_, [this] {
                std::string what = std::move(firstChange_);
                firstChange_.clear();
                debounceTimer_.reset();
                onChange_(what);
            });
        }
    }
}

}  // namespace forever
