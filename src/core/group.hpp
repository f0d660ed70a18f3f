#pragma once
// Instance groups: `start -i N --uid api` makes api-0..api-(N-1), each spec
// carrying group "api". Pure rules about names and sizes, so they are tested
// without a supervisor: how a member is named, which uid or group a new
// process may not take, and what `scale` adds or stops.
#include <optional>
#include <string>
#include <vector>

namespace forever {

// "api", 3 → "api-3".
std::string memberUid(const std::string& group, unsigned index);
// "api-3" of group "api" → 3; nothing for a uid not named like a member.
std::optional<unsigned> memberIndex(const std::string& group, const std::string& uid);

// What a table row is, for the checks below.
struct GroupedName {
    std::string uid;
    std::string group;  // empty: not in a group
};

// Why a new process (uid, group) would make a TARGET ambiguous with the
// table `existing`, or empty when it does not: a group named like another
// process's uid, a uid named like an existing group, or a group that reads
// as an index.
std::string groupConflict(const std::string& uid, const std::string& group,
                          const std::vector<GroupedName>& existing);

// `scale GROUP COUNT`: COUNT is "N", "+K" or "-K".
struct ScalePlan {
    std::vector<unsigned> add;   // member indices to start (lowest free first)
    std::vector<unsigned> stop;  // member indices to stop (highest first)
};
// `members`: the indices of the group's current members. Throws
// std::invalid_argument (message for the user) for a bad COUNT or a group
// that would end up empty or above 1000.
ScalePlan planScale(const std::vector<unsigned>& members, const std::string& count);

}  // namespace forever
