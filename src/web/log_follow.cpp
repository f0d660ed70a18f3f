#include "web/log_follow.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cli/journal_reader.hpp"
#include "web/event_streams.hpp"

namespace forever::web {

using nlohmann::json;

struct LogFollow::Watcher {
    virtual ~Watcher() = default;
};

namespace {

constexpr size_t kMaxReadPerEvent = 1 << 20;  // a burst is sent over several wakeups

std::string errnoText(const std::string& what, int error) {
    return what + ": " + std::strerror(error);
}

// New lines appended to a file, read from where the last read ended.
class FileWatcher : public LogFollow::Watcher {
  public:
    FileWatcher(sd_event* event, EventStreams& streams, std::string channel, std::string path)
        : streams_(streams), channel_(std::move(channel)), path_(std::move(path)) {
        reopen(true);
        const std::string dir = path_.substr(0, path_.rfind('/'));
        int r = sd_event_add_inotify(event, &source_, dir.empty() ? "/" : dir.c_str(),
                                     IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO,
                                     &FileWatcher::onChange, this);
        if (r < 0) {
            ::close(fd_);
            throw std::runtime_error(errnoText("cannot watch " + dir, -r));
        }
    }
    ~FileWatcher() override {
        sd_event_source_disable_unref(source_);
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

  private:
    // atEnd: start after what is there (the request's first answer has it).
    void reopen(bool atEnd) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        offset_ = 0;
        partial_.clear();
        struct stat st {};
        if (fd_ >= 0 && ::fstat(fd_, &st) == 0) {
            inode_ = st.st_ino;
            offset_ = atEnd ? st.st_size : 0;
        } else if (atEnd && fd_ < 0 && errno != ENOENT) {
            throw std::runtime_error(errnoText("cannot open " + path_, errno));
        }
    }

    void drain() {
        struct stat byPath {};
        if (::stat(path_.c_str(), &byPath) == 0 && (fd_ < 0 || byPath.st_ino != inode_)) {
            readNew();  // the rest of the rotated file first
            reopen(false);
        }
        struct stat st {};
        if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && st.st_size < offset_) {
            offset_ = 0;  // truncated
            partial_.clear();
        }
        readNew();
    }

    void readNew() {
        if (fd_ < 0) {
            return;
        }
        char buf[16384];
        size_t total = 0;
        while (total < kMaxReadPerEvent) {
            ssize_t n = ::pread(fd_, buf, sizeof buf, offset_);
            if (n <= 0) {
                break;
            }
            offset_ += n;
            total += static_cast<size_t>(n);
            partial_.append(buf, static_cast<size_t>(n));
        }
        size_t start = 0;
        for (size_t nl = partial_.find('\n'); nl != std::string::npos;
             nl = partial_.find('\n', start)) {
            streams_.send(channel_, "line",
                          json{{"message", partial_.substr(start, nl - start)}}.dump());
            start = nl + 1;
        }
        partial_.erase(0, start);
        if (partial_.size() > kMaxReadPerEvent) {
            partial_.clear();  // one endless line: not worth keeping whole
        }
    }

    static int onChange(sd_event_source*, const struct inotify_event*, void* self) {
        static_cast<FileWatcher*>(self)->drain();
        return 0;
    }

    EventStreams& streams_;
    std::string channel_;
    std::string path_;
    int fd_ = -1;
    ino_t inode_ = 0;
    off_t offset_ = 0;
    std::string partial_;
    sd_event_source* source_ = nullptr;
};

// New journal entries of one app: the journal's inotify fd in our loop.
class JournalWatcher : public LogFollow::Watcher {
  public:
    JournalWatcher(sd_event* event, EventStreams& streams, std::string channel, std::string uid)
        : streams_(streams), channel_(std::move(channel)) {
        int r = sd_journal_open(&journal_, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0) {
            throw std::runtime_error(errnoText("cannot open the journal", -r));
        }
        cli::JournalQuery query;
        query.uid = std::move(uid);
        query.sameUserOnly = ::geteuid() != 0;
        if (!cli::addJournalMatches(journal_, query)) {
            sd_journal_close(journal_);
            throw std::runtime_error("cannot filter the journal");
        }
        sd_journal_seek_tail(journal_);
        sd_journal_previous(journal_);  // on the newest entry: next() is the first new one
        const int fd = sd_journal_get_fd(journal_);
        r = fd < 0 ? fd
                   : sd_event_add_io(event, &source_, fd, sd_journal_get_events(journal_),
                                     &JournalWatcher::onReadable, this);
        if (r < 0) {
            sd_journal_close(journal_);
            throw std::runtime_error(errnoText("cannot watch the journal", -r));
        }
    }
    ~JournalWatcher() override {
        sd_event_source_disable_unref(source_);
        sd_journal_close(journal_);
    }

  private:
    static int onReadable(sd_event_source*, int, uint32_t, void* self) {
        auto* w = static_cast<JournalWatcher*>(self);
        sd_journal_process(w->journal_);
        while (sd_journal_next(w->journal_) > 0) {
            const cli::JournalLine line = cli::journalEntry(w->journal_);
            w->streams_.send(w->channel_, "line",
                             json{{"time", line.realtimeUs / 1000},
                                  {"priority", line.priority},
                                  {"message", line.message},
                                  {"lifecycle", line.lifecycle}}
                                 .dump());
        }
        return 0;
    }

    EventStreams& streams_;
    std::string channel_;
    sd_journal* journal_ = nullptr;
    sd_event_source* source_ = nullptr;
};

}  // namespace

LogFollow::LogFollow(sd_event* event, EventStreams& streams) : event_(event), streams_(streams) {
    // Never from inside a watcher's own callback: a send only resumes
    // connections, MHD releases them later in its own run.
    streams_.onChannelClosed([this](const std::string& channel) { watchers_.erase(channel); });
}

LogFollow::~LogFollow() {
    streams_.onChannelClosed({});
}

void LogFollow::watch(const cli::ProcessView& p) {
    const std::string name = channel(p.uid);
    if (watchers_.count(name)) {
        return;
    }
    const std::string file = !p.logFile.empty() ? p.logFile : p.outFile;
    if (!file.empty()) {
        watchers_[name] = std::make_unique<FileWatcher>(event_, streams_, name, file);
    } else {
        watchers_[name] = std::make_unique<JournalWatcher>(event_, streams_, name, p.uid);
    }
}

}  // namespace forever::web
