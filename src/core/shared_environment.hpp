#pragma once
// A process's environment whose entries are shared: every spec holding the
// same NAME=VALUE points at one string. Apps started together (a config's
// apps, the N instances of one) carry the caller's whole environment, so a
// private copy per app was about 8 KB of foreverd's memory per app at 45
// variables (issue 19: at most 16 KB per app in all).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forever {

class SharedEnvironment {
  public:
    // "NAME=VALUE", shared with every other environment holding it.
    using Entry = std::shared_ptr<const std::string>;

    SharedEnvironment() = default;
    SharedEnvironment(const std::map<std::string, std::string>& variables);  // NOLINT: implicit

    // Sets NAME to VALUE (replacing it).
    void set(std::string_view name, std::string_view value);
    // Adds every variable of `base` this one does not set (its entries,
    // shared: nothing is copied or interned again).
    void fillFrom(const SharedEnvironment& base);
    std::optional<std::string_view> find(std::string_view name) const;
    // The value of NAME; std::out_of_range when unset.
    std::string_view at(std::string_view name) const;
    size_t count(std::string_view name) const { return find(name) ? 1 : 0; }
    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    // Sorted by name: what execve() gets, as it is.
    const std::vector<Entry>& entries() const { return entries_; }
    std::map<std::string, std::string> toMap() const;

    bool operator==(const SharedEnvironment& other) const;

    // Name and value of an entry.
    static std::pair<std::string_view, std::string_view> split(const Entry& entry);
    // Distinct entries alive in this process (for tests and figures).
    static size_t internedCount();

  private:
    std::vector<Entry>::const_iterator lowerBound(std::string_view name) const;
    std::vector<Entry> entries_;
};

}  // namespace forever
