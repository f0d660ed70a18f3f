#include "core/shared_environment.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace forever {

namespace {

// The pool of live entries. An entry leaves it when its last holder goes
// (its deleter erases it), so an app's variables do not outlive the app.
struct Pool {
    std::mutex mutex;
    std::unordered_map<std::string_view, std::weak_ptr<const std::string>> entries;
};

Pool& pool() {
    // Never destroyed: environments held by statics may outlive it otherwise.
    static Pool* instance = new Pool;
    return *instance;
}

SharedEnvironment::Entry intern(std::string text) {
    Pool& p = pool();
    std::lock_guard lock(p.mutex);
    if (auto found = p.entries.find(text); found != p.entries.end()) {
        if (auto alive = found->second.lock()) {
            return alive;
        }
        // Expired, its deleter not yet run: its key views the dying string.
        p.entries.erase(found);
    }
    auto* owned = new std::string(std::move(text));
    SharedEnvironment::Entry entry(owned, [](const std::string* gone) {
        Pool& p = pool();
        {
            std::lock_guard lock(p.mutex);
            auto found = p.entries.find(*gone);
            // Only ours: between our last reference going and this erase,
            // intern() may have replaced an expired slot with a new string.
            if (found != p.entries.end() && found->first.data() == gone->data()) {
                p.entries.erase(found);
            }
        }
        delete gone;
    });
    p.entries.emplace(std::string_view(*owned), entry);
    return entry;
}

std::string_view nameOf(const SharedEnvironment::Entry& entry) {
    std::string_view text = *entry;
    return text.substr(0, text.find('='));
}

}  // namespace

SharedEnvironment::SharedEnvironment(const std::map<std::string, std::string>& variables) {
    entries_.reserve(variables.size());
    for (const auto& [name, value] : variables) {
        entries_.push_back(intern(name + "=" + value));  // a map is sorted already
    }
}

std::vector<SharedEnvironment::Entry>::const_iterator SharedEnvironment::lowerBound(
    std::string_view name) const {
    return std::lower_bound(entries_.begin(), entries_.end(), name,
                            [](const Entry& e, std::string_view n) { return nameOf(e) < n; });
}

void SharedEnvironment::set(std::string_view name, std::string_view value) {
    std::string text;
    text.reserve(name.size() + 1 + value.size());
    text.append(name).append("=").append(value);
    auto at = lowerBound(name);
    auto index = at - entries_.begin();
    if (at != entries_.end() && nameOf(*at) == name) {
        entries_[static_cast<size_t>(index)] = intern(std::move(text));
    } else {
        entries_.insert(entries_.begin() + index, intern(std::move(text)));
    }
}

void SharedEnvironment::fillFrom(const SharedEnvironment& base) {
    std::vector<Entry> merged;
    merged.reserve(entries_.size() + base.entries_.size());
    auto mine = entries_.begin();
    auto theirs = base.entries_.begin();
    // Both sorted by name: one merge, ours winning a tie.
    while (mine != entries_.end() || theirs != base.entries_.end()) {
        if (theirs == base.entries_.end() ||
            (mine != entries_.end() && nameOf(*mine) <= nameOf(*theirs))) {
            if (theirs != base.entries_.end() && nameOf(*mine) == nameOf(*theirs)) {
                ++theirs;
            }
            merged.push_back(*mine++);
        } else {
            merged.push_back(*theirs++);
        }
    }
    entries_ = std::move(merged);
}

std::optional<std::string_view> SharedEnvironment::find(std::string_view name) const {
    auto at = lowerBound(name);
    if (at == entries_.end() || nameOf(*at) != name) {
        return std::nullopt;
    }
    return split(*at).second;
}

std::string_view SharedEnvironment::at(std::string_view name) const {
    if (auto value = find(name)) {
        return *value;
    }
    throw std::out_of_range("no environment variable " + std::string(name));
}

std::map<std::string, std::string> SharedEnvironment::toMap() const {
    std::map<std::string, std::string> out;
    for (const auto& entry : entries_) {
        auto [name, value] = split(entry);
        out.emplace(name, value);
    }
    return out;
}

bool SharedEnvironment::operator==(const SharedEnvironment& other) const {
    // Interned: equal entries are the same string.
    return entries_ == other.entries_;
}

std::pair<std::string_view, std::string_view> SharedEnvironment::split(const Entry& entry) {
    std::string_view text = *entry;
    auto eq = text.find('=');
    return {text.substr(0, eq), text.substr(eq + 1)};
}

size_t SharedEnvironment::internedCount() {
    Pool& p = pool();
    std::lock_guard lock(p.mutex);
    return p.entries.size();
}

}  // namespace forever
