#include "core/state_journal.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>

#include "core/crc32.hpp"
#include "core/durable_file.hpp"

namespace forever {

namespace {

using nlohmann::json;

constexpr std::string_view kHeader = R"({"journal":"forever-state","version":1})";

std::error_code lastError() {
    return {errno, std::generic_category()};
}

std::string encodeLine(std::string_view body) {
    return fmt::format("{:08x} {}\n", crc32(body), body);
}

std::string putLine(const std::string& key, const std::string& value) {
    return encodeLine(fmt::format(R"({{"k":{},"v":{}}})", json(key).dump(), value));
}

std::string eraseLine(const std::string& key) {
    return encodeLine(fmt::format(R"({{"k":{},"d":1}})", json(key).dump()));
}

std::string commitLine(size_t records) {
    return encodeLine(fmt::format(R"({{"c":{}}})", records));
}

// One line of the file: its place, and its JSON when the checksum held.
struct Line {
    size_t begin = 0;
    size_t end = 0;  // past the '\n'
    std::optional<json> doc;
};

std::optional<json> decode(std::string_view line) {
    if (line.size() < 10 || line[8] != ' ') {
        return std::nullopt;
    }
    const auto body = line.substr(9);
    uint32_t stored = 0;
    for (char c : line.substr(0, 8)) {
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) {
            return std::nullopt;
        }
        stored = stored << 4 | static_cast<uint32_t>(digit);
    }
    if (stored != crc32(body)) {
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
            line.doc = decode(std::string_view(text).substr(at, nl - at));
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

}  // namespace

StateJournal::StateJournal(std::filesystem::path dir)
    : dir_(std::move(dir)), file_(dir_ / "state.journal") {}

bool StateJournal::exists() const {
    std::error_code ec;
    return std::filesystem::exists(file_, ec);
}

void StateJournal::apply(const std::string& key, std::optional<std::string> line) {
    auto it = live_.find(key);
    if (it != live_.end()) {
        liveBytes_ -= it->second.line.size();
        if (!line) {
            live_.erase(it);
            return;
        }
        it->second.line = std::move(*line);
        liveBytes_ += it->second.line.size();
        return;
    }
    if (line) {
        liveBytes_ += line->size();
        live_.emplace(key, Live{nextOrder_++, std::move(*line)});
    }
}

JournalContents StateJournal::open() {
    JournalContents out;
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
    std::vector<std::pair<std::string, std::optional<std::string>>> pending;
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
        std::optional<std::string> kept;
        if (doc.contains("v")) {
            kept = text.substr(line.begin, line.end - line.begin);
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
        const auto& line = entry->second.line;
        auto doc = json::parse(std::string_view(line).substr(9));
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
    fd_.reset(::open(file_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    return fd_ ? std::error_code{} : lastError();
}

std::error_code StateJournal::append(const std::vector<JournalChange>& batch) {
    std::string text;
    for (const auto& change : batch) {
        auto line = change.value ? putLine(change.key, *change.value) : eraseLine(change.key);
        text += line;
        apply(change.key,
              change.value ? std::optional<std::string>(std::move(line)) : std::nullopt);
    }
    if (broken_ || !fd_) {
        return compact();
    }
    text += commitLine(batch.size());
    if (auto ec = writeAll(fd_.get(), text)) {
        broken_ = true;
        return ec;
    }
    if (::fdatasync(fd_.get()) != 0) {
        broken_ = true;
        return lastError();
    }
    fileBytes_ += text.size();
    if (fileBytes_ > kMinCompactBytes && fileBytes_ > 2 * liveBytes_) {
        return compact();
    }
    return {};
}

std::error_code StateJournal::compact() {
    std::vector<const Live*> ordered;
    ordered.reserve(live_.size());
    for (const auto& [key, live] : live_) {
        ordered.push_back(&live);
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const Live* a, const Live* b) { return a->order < b->order; });
    std::string text = encodeLine(kHeader);
    text.reserve(liveBytes_ + 64);
    for (const Live* live : ordered) {
        text += live->line;
    }
    text += commitLine(ordered.size());
    if (auto ec = makePrivateDir(dir_)) {
        broken_ = true;
        return ec;
    }
    if (auto ec = replaceFileDurably(file_, text)) {
        broken_ = true;
        return ec;
    }
    broken_ = false;
    fileBytes_ = text.size();
    return openForAppend();
}

std::error_code StateJournal::replaceAll(const std::vector<JournalChange>& records) {
    live_.clear();
    liveBytes_ = 0;
    for (const auto& change : records) {
        if (change.value) {
            apply(change.key, putLine(change.key, *change.value));
        }
    }
    return compact();
}

}  // namespace forever
