#pragma once

#include <string>
#include <vector>

namespace forever {

// What a TARGET is matched against: one row of the process table.
struct TargetCandidate {
    std::string uid;
    std::string script;  // absolute path
    std::string group;   // the group it belongs to (`start -i N`), or empty
};

// Resolves a TARGET as forever does, returning positions in `candidates`:
//  1. a number is the index shown by `list`;
//  2. otherwise an exact uid;
//  3. otherwise a group name: every member, in table order (a group is never
//     named like a uid: core/group.hpp refuses that at start);
//  4. otherwise a script: the same absolute path, a path suffix ("api/server.js")
//     or the file name ("server.js") — every process running it.
// A relative target is resolved against `cwd` first, so `forever stop
// ./server.js` works from the app's directory. Empty when nothing matches.
std::vector<size_t> resolveTarget(const std::string& target,
                                  const std::vector<TargetCandidate>& candidates,
                                  const std::string& cwd = {});

}  // namespace forever
