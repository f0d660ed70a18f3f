#include "core/state_journal.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <iterator>

#include "core/crc32.hpp"
#include "core/durable_file.hpp"

namespace forever {

namespace {

using nlohmann::json;

constexpr std::string_view kHeader = R"({"journal":"forever-state","version":1})";

std::error_code lastError() {
    return {errno, std::generic_category()};
}

// A compaction copies the live records through a buffer of this size, not
// a string of the whole file (6 MB at 1000 apps: records hold environments).
constexpr size_t kChunk = 256 * 1024;

// Appends the line of `body` to `text`; returns the line's checksum.
uint32_t appendLine(std::string& text, std::string_view body) {
    const uint32_t crc = crc32(body);
    // Not fmt::format_to into a back_inserter: that instantiation is not
    // in Debian's libfmt under clang's mangling (the fuzz build's link).
    text += fmt::format("{:08x} ", crc);
    text += body;
    text += '\n';
    return crc;
}

std::string encodeLine(std::string_view body) {
    std::string line;
    appendLine(line, body);
    return line;
}

std::string putBody(const std::string& key, const std::string& value) {
    return fmt::format(R"({{"k":{},"v":{}}})", json(key).dump(), value);
}

std::string eraseBody(const std::string& key) {
    return fmt::format(R"({{"k":{},"d":1}})", json(key).dump());
}

std::string commitLine(size_t records) {
    return encodeLine(fmt::format(R"({{"c":{}}})", records));
}

// The checksum a line (without its '\n') starts with, if it has one.
std::optional<uint32_t> storedCrc(std::string_view line) {
    if (line.size() < 10 || line[8] != ' ') {
        return std::nullopt;
    }
    uint32_t stored = 0;
    for (char c : line.substr(0, 8)) {
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) {
            return std::nullopt;
        }
        stored = stored << 4 | static_cast<uint32_t>(digit);
    }
    return stored;
}

// Whether `line` (its '\n' included) is still the line of checksum `crc`
// that was written: the file could have been changed by someone else since.
bool isLineOf(std::string_view line, uint32_t crc) {
    if (line.empty() || line.back() != '\n') {
        return false;
    }
    line.remove_suffix(1);
    return storedCrc(line) == crc && crc32(line.substr(9)) == crc;
}

// One line of the file: its place, and its JSON when the checksum held.
struct Line {
    size_t begin = 0;
    size_t end = 0;  // past the '\n'
    uint32_t crc = 0;
    std::optional<json> doc;
};

std::optional<json> decode(std::string_view line) {
    const auto stored = storedCrc(line);
    const auto body = line.substr(std::min<size_t>(9, line.size()));
    if (!stored || *stored != crc32(body)) {
        return std::nullopt;
    }
    auto doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return std::nullopt;
    }
    return doc;
}

std::vector<Line> splitLines(const std::string& text) {
    std::vector<Line> lines;
    size_t at = 0;
    while (at < text.size()) {
        size_t nl = text.find('\n', at);
        Line line;
        line.begin = at;
        if (nl == std::string::npos) {
            line.end = text.size();  // no newline: the write was cut short
        } else {
            line.end = nl + 1;
            const auto view = std::string_view(text).substr(at, nl - at);
            line.doc = decode(view);
            if (line.doc) {
                line.crc = *storedCrc(view);
            }
        }
        lines.push_back(std::move(line));
        at = line.end;
    }
    return lines;
}

bool isCommit(const Line& line) {
    return line.doc && line.doc->contains("c");
}

std::string timestampedAside(const std::filesystem::path& file) {
    return file.string() + ".corrupt-" + std::to_string(static_cast<long long>(std::time(nullptr)));
}

class JournalCategory : public std::error_category {
  public:
    const char* name() const noexcept override { return "state journal"; }
    std::string message(int) const override {
        return "a live record is no longer in the journal as it was written (the file was "
               "changed by something else); not rewritten, so as to lose no record";
    }
};

std::error_code recordChanged() {
    static const JournalCategory category;
    return {1, category};
}

// The file a compaction writes, a chunk at a time: it is the size of every
// live record, too big to be built in memory first.
class ChunkedWriter {
  public:
    explicit ChunkedWriter(int fd) : fd_(fd) { buffer_.reserve(kChunk); }
    uint64_t size() const { return written_ + buffer_.size(); }
    std::error_code add(std::string_view text) {
        buffer_ += text;
        return flushIfFull();
    }
    // Appends `n` bytes read at `offset` of `from`, not yet written: `copied`
    // shows them, to be checked before the next add() or flush().
    std::error_code copy(int from, uint64_t offset, size_t n, std::string_view& copied) {
        const size_t start = buffer_.size();
        buffer_.resize(start + n);
        for (size_t done = 0; done < n;) {
            ssize_t got = ::pread(from, buffer_.data() + start + done, n - done,
                                  static_cast<off_t>(offset + done));
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got < 0) {
                return lastError();
            }
            if (got == 0) {
                return recordChanged();  // the file is shorter than what we wrote
            }
            done += static_cast<size_t>(got);
        }
        copied = std::string_view(buffer_).substr(start);
        return {};
    }
    std::error_code flushIfFull() { return buffer_.size() >= kChunk ? flush() : std::error_code{}; }
    std::error_code flush() {
        auto ec = writeAll(fd_, buffer_);
        written_ += buffer_.size();
        buffer_.clear();
        return ec;
    }

  private:
    int fd_;
    uint64_t written_ = 0;
    std::string buffer_;
};

}  // namespace

StateJournal::StateJournal(std::filesystem::path dir)
    : dir_(std::move(dir)), file_(dir_ / "state.journal") {}

bool StateJournal::exists() const {
    std::error_code ec;
    return std::filesystem::exists(file_, ec);
}

void StateJournal::apply(const std::string& key, std::optional<Live> line) {
    auto it = live_.find(key);
    if (it != live_.end()) {
        liveBytes_ -= it->second.length;
        if (!line) {
            live_.erase(it);
            return;
        }
        line->order = it->second.order;
        liveBytes_ += line->length;
        it->second = std::move(*line);
        return;
    }
    if (line) {
        liveBytes_ += line->length;
        line->order = nextOrder_++;
        live_.emplace(key, std::move(*line));
    }
}

JournalContents StateJournal::open() {
    JournalContents out;
    fd_.reset();  // the live records are about to be places in file_ as it is now
    live_.clear();
    liveBytes_ = 0;
    nextOrder_ = 0;
    std::ifstream in(file_, std::ios::binary);
    const bool found = in.is_open();
    std::string text;
    if (found) {
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const auto lines = splitLines(text);
    const bool headerOk = !lines.empty() && lines[0].doc && lines[0].doc->dump() == kHeader;
    if (found && !headerOk) {
        // Not a journal of ours (or its first write was torn): kept aside,
        // like any file we cannot read, and we start from nothing.
        const auto aside = timestampedAside(file_);
        std::error_code ec;
        std::filesystem::rename(file_, aside, ec);
        out.problems.push_back(fmt::format("state journal {} has no valid header; kept as {}{}",
                                           file_.string(), aside,
                                           ec ? " (rename failed: " + ec.message() + ")" : ""));
        text.clear();
    }
    size_t lastCommit = 0;  // the header: nothing committed yet
    if (headerOk) {
        for (size_t i = 1; i < lines.size(); ++i) {
            if (isCommit(lines[i])) {
                lastCommit = i;
            }
        }
    }
    // Records become live only at their commit; invalid lines before the
    // last commit are corruption (reported), after it a crash's torn tail.
    std::vector<std::pair<std::string, std::optional<Live>>> pending;
    std::vector<size_t> corrupt;
    for (size_t i = 1; i <= lastCommit; ++i) {
        const auto& line = lines[i];
        if (!line.doc) {
            corrupt.push_back(i + 1);
            continue;
        }
        const auto& doc = *line.doc;
        if (doc.contains("c")) {
            for (auto& [key, value] : pending) {
                apply(key, std::move(value));
            }
            pending.clear();
            continue;
        }
        auto key = doc.find("k");
        if (key == doc.end() || !key->is_string()) {
            corrupt.push_back(i + 1);
            continue;
        }
        std::optional<Live> kept;
        if (doc.contains("v")) {
            kept.emplace();
            kept->offset = line.begin;
            kept->length = static_cast<uint32_t>(line.end - line.begin);
            kept->crc = line.crc;
        }
        pending.emplace_back(key->get<std::string>(), std::move(kept));
    }
    const size_t goodEnd = headerOk ? lines[lastCommit].end : 0;
    if (headerOk && goodEnd < text.size()) {
        out.notices.push_back(
            fmt::format("state journal {}: cut off {} bytes of a save that a crash interrupted",
                        file_.string(), text.size() - goodEnd));
    }
    std::vector<const std::pair<const std::string, Live>*> ordered;
    ordered.reserve(live_.size());
    for (const auto& entry : live_) {
        ordered.push_back(&entry);
    }
    std::sort(ordered.begin(), ordered.end(),
              [](auto* a, auto* b) { return a->second.order < b->second.order; });
    for (const auto* entry : ordered) {
        const auto& live = entry->second;
        auto doc = json::parse(std::string_view(text).substr(live.offset + 9, live.length - 9));
        out.records.emplace_back(entry->first, std::move(doc["v"]));
    }
    fileBytes_ = goodEnd;
    if (!corrupt.empty()) {
        const auto aside = timestampedAside(file_);
        std::error_code ec;
        std::filesystem::copy_file(file_, aside, ec);
        std::string where;
        for (size_t n : corrupt) {
            where += (where.empty() ? "" : ", ") + std::to_string(n);
        }
        out.problems.push_back(fmt::format(
            "state journal {}: {} corrupt record(s) (line {}) not restored; the file is kept "
            "as {}{}",
            file_.string(), corrupt.size(), where, aside,
            ec ? " (copy failed: " + ec.message() + ")" : ""));
        broken_ = true;  // rewritten below without the corrupt lines
    } else if (headerOk && goodEnd < text.size()) {
        if (::truncate(file_.c_str(), static_cast<off_t>(goodEnd)) != 0) {
            broken_ = true;
        }
    }
    if (broken_ || !headerOk) {
        if (auto ec = compact()) {
            out.problems.push_back(
                fmt::format("cannot rewrite state journal {}: {}", file_.string(), ec.message()));
        }
    }
    return out;
}

std::error_code StateJournal::openForAppend() {
    // Readable too: a compaction reads the live records back through it.
    fd_.reset(::open(file_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC));
    return fd_ ? std::error_code{} : lastError();
}

std::error_code StateJournal::append(const std::vector<JournalChange>& batch) {
    struct Put {
        size_t at;  // in `text`
        uint32_t length;
        uint32_t crc;
    };
    std::vector<std::optional<Put>> puts;
    puts.reserve(batch.size());
    std::string text;
    for (const auto& change : batch) {
        const size_t at = text.size();
        if (change.value) {
            const uint32_t crc = appendLine(text, putBody(change.key, *change.value));
            puts.push_back(Put{at, static_cast<uint32_t>(text.size() - at), crc});
        } else {
            appendLine(text, eraseBody(change.key));
            puts.push_back(std::nullopt);
        }
    }
    // The records are live whether or not the batch reached the file; when
    // it did not, they keep their text for the compaction that repairs it.
    auto applyBatch = [&](bool durable) {
        for (size_t i = 0; i < batch.size(); ++i) {
            std::optional<Live> live;
            if (const auto& put = puts[i]) {
                live.emplace();
                live->length = put->length;
                live->crc = put->crc;
                if (durable) {
                    live->offset = fileBytes_ + put->at;
                } else {
                    live->text = text.substr(put->at, put->length);
                }
            }
            apply(batch[i].key, std::move(live));
        }
    };
    if (broken_ || !fd_) {
        applyBatch(false);
        return compact();
    }
    text += commitLine(batch.size());
    auto ec = writeAll(fd_.get(), text);
    if (!ec && ::fdatasync(fd_.get()) != 0) {
        ec = lastError();
    }
    if (ec) {
        broken_ = true;
        applyBatch(false);
        return ec;
    }
    applyBatch(true);
    fileBytes_ += text.size();
    if (fileBytes_ > kMinCompactBytes && fileBytes_ > 2 * liveBytes_) {
        if (compact() && fd_) {
            // The batch is durable and the file intact (a compaction replaces
            // it whole or not at all, disk full say): appending goes on, and
            // the next batch tries the compaction again.
            broken_ = false;
        }
    }
    return {};
}

std::error_code StateJournal::compact() {
    std::vector<Live*> ordered;
    ordered.reserve(live_.size());
    for (auto& [key, live] : live_) {
        ordered.push_back(&live);
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const Live* a, const Live* b) { return a->order < b->order; });
    if (auto ec = makePrivateDir(dir_)) {
        broken_ = true;
        return ec;
    }
    // fd_, when open, is file_: otherwise (a compaction from open(), or after
    // one whose reopening failed) file_ is opened to read the records back.
    UniqueFd reopened;
    int from = fd_.get();
    if (!fd_ &&
        std::any_of(ordered.begin(), ordered.end(), [](const Live* live) { return !live->text; })) {
        reopened.reset(::open(file_.c_str(), O_RDONLY | O_CLOEXEC));
        if (!reopened) {
            auto ec = lastError();
            broken_ = true;
            return ec;
        }
        from = reopened.get();
    }
    // Where each line goes in the new file; taken only once it replaced
    // file_, since until then the old places are the valid ones.
    std::vector<uint64_t> moved(ordered.size());
    uint64_t newSize = 0;
    auto fill = [&](int fd) -> std::error_code {
        ChunkedWriter out(fd);
        if (auto ec = out.add(encodeLine(kHeader))) {
            return ec;
        }
        for (size_t i = 0; i < ordered.size();) {
            if (ordered[i]->text) {
                moved[i] = out.size();
                if (auto ec = out.add(*ordered[i]->text)) {
                    return ec;
                }
                ++i;
                continue;
            }
            // Lines written one after another (by one batch, or by the last
            // compaction: most of them) are read back with one pread.
            size_t end = i + 1;
            size_t runBytes = ordered[i]->length;
            while (end < ordered.size() && !ordered[end]->text &&
                   ordered[end]->offset == ordered[end - 1]->offset + ordered[end - 1]->length &&
                   runBytes + ordered[end]->length <= kChunk) {
                runBytes += ordered[end]->length;
                ++end;
            }
            const uint64_t runAt = out.size();
            std::string_view run;
            if (auto ec = out.copy(from, ordered[i]->offset, runBytes, run)) {
                return ec;
            }
            for (size_t at = 0; i < end; ++i) {
                const Live& live = *ordered[i];
                if (!isLineOf(run.substr(at, live.length), live.crc)) {
                    return recordChanged();
                }
                moved[i] = runAt + at;
                at += live.length;
            }
            if (auto ec = out.flushIfFull()) {
                return ec;
            }
        }
        if (auto ec = out.add(commitLine(ordered.size()))) {
            return ec;
        }
        newSize = out.size();
        return out.flush();
    };
    if (auto ec = replaceFileDurably(file_, fill)) {
        broken_ = true;
        return ec;
    }
    for (size_t i = 0; i < ordered.size(); ++i) {
        ordered[i]->offset = moved[i];
        ordered[i]->text.reset();
    }
    broken_ = false;
    fileBytes_ = newSize;
    return openForAppend();
}

std::error_code StateJournal::replaceAll(const std::vector<JournalChange>& records) {
    live_.clear();
    liveBytes_ = 0;
    for (const auto& change : records) {
        if (change.value) {
            Live live;
            live.text.emplace();
            live.crc = appendLine(*live.text, putBody(change.key, *change.value));
            live.length = static_cast<uint32_t>(live.text->size());
            apply(change.key, std::move(live));
        }
    }
    return compact();
}

}  // namespace forever
