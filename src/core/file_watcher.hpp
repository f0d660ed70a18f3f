#pragma once
// Watch mode (forever's -w): inotify on a directory tree, on the event loop.
// New directories are watched as they appear; node_modules, dot-files and
// ignore patterns (--watchIgnore, .foreverignore) never trigger anything; a
// burst of changes is debounced into one call of `onChange`.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core/unique_fd.hpp"

namespace forever {

// Whether a path relative to the watched root is ignored. Patterns are
// shell globs (fnmatch; '*' also crosses '/'), matched against the whole
// relative path and against each of its components, so "*.log",
// "logs/**" and "tmp" all do what they look like.
bool isIgnoredPath(const std::string& relative, const std::vector<std::string>& patterns);

// The patterns of a .foreverignore file: one per line, '#' comments.
std::vector<std::string> parseIgnoreFile(const std::string& text);

class FileWatcher {
  public:
    using OnChange = std::function<void(const std::string& relativePath)>;

    // Throws std::system_error if inotify cannot be set up.
    FileWatcher(EventLoop& loop, std::filesystem::path root, std::vector<std::string> ignore,
                Millis debounce, OnChange onChange);
    ~FileWatcher();

    size_t watchedDirectories() const { return dirs_.size(); }

  private:
    void addTree(const std::filesystem::path& dir);
    void onReadable();
    std::string relative(const std::filesystem::path& p) const;

    EventLoop& loop_;
    std::filesystem::path root_;
    std::vector<std::string> ignore_;
    Millis debounce_;
    OnChange onChange_;
    UniqueFd fd_;
    EventLoop::HandlePtr watch_;
    EventLoop::HandlePtr debounceTimer_;
    std::map<int, std::filesystem::path> dirs_;  // watch descriptor → directory
    std::string firstChange_;
};

}  // namespace forever
