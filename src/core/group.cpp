#include "core/group.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

namespace forever {

namespace {
constexpr long kMaxMembers = 1000;  // as `-i N` allows

bool allDigits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::string memberUid(const std::string& group, unsigned index) {
    return group + "-" + std::to_string(index);
}

std::optional<unsigned> memberIndex(const std::string& group, const std::string& uid) {
    if (uid.size() <= group.size() + 1 || uid.compare(0, group.size(), group) != 0 ||
        uid[group.size()] != '-') {
        return std::nullopt;
    }
    std::string digits = uid.substr(group.size() + 1);
    unsigned index = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (!allDigits(digits) || ec != std::errc{} || end != digits.data() + digits.size() ||
        (digits.size() > 1 && digits.front() == '0')) {
        return std::nullopt;
    }
    return index;
}

std::string groupConflict(const std::string& uid, const std::string& group,
                          const std::vector<GroupedName>& existing) {
    if (!group.empty() && allDigits(group)) {
        return fmt::format("a group cannot be named '{}': a number names a process by its index",
                           group);
    }
    for (const auto& row : existing) {
        if (!group.empty() && row.uid == group) {
            return fmt::format(
                "'{}' is already the uid of a process: a group named so would make '{}' mean "
                "two things; give the group another --uid",
                group, group);
        }
        if (!row.group.empty() && row.group == uid) {
            return fmt::format(
                "'{}' is the name of a group (its members are {}-0…); give "
                "this process another uid",
                uid, uid);
        }
    }
    return {};
}

ScalePlan planScale(const std::vector<unsigned>& members, const std::string& count) {
    if (count.empty()) {
        throw std::invalid_argument("scale needs a count: N, +K or -K");
    }
    const bool relative = count.front() == '+' || count.front() == '-';
    const std::string digits = relative ? count.substr(1) : count;
    long n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (!allDigits(digits) || ec != std::errc{} || end != digits.data() + digits.size() ||
        n > kMaxMembers) {
        throw std::invalid_argument(fmt::format(
            "'{}' is not a count: use N, +K or -K (whole numbers up to {})", count, kMaxMembers));
    }
    const long current = static_cast<long>(members.size());
    const long target = !relative ? n : count.front() == '+' ? current + n : current - n;
    if (target < 1) {
        throw std::invalid_argument(fmt::format(
            "a group keeps at least one member ({} now); stop the group to remove it all",
            current));
    }
    if (target > kMaxMembers) {
        throw std::invalid_argument(fmt::format("a group has at most {} members", kMaxMembers));
    }
    ScalePlan plan;
    std::set<unsigned> used(members.begin(), members.end());
    for (unsigned i = 0; static_cast<long>(plan.add.size()) < target - current; ++i) {
        if (!used.count(i)) {
            plan.add.push_back(i);
        }
    }
    for (auto it = used.rbegin(); static_cast<long>(plan.stop.size()) < current - target; ++it) {
        plan.stop.push_back(*it);
    }
    return plan;
}

}  // namespace forever
