#include "core/target.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace forever {

namespace {
bool isIndex(const std::string& s) {
    return !s.empty() && s.size() < 10 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool endsWithPath(const std::string& path, const std::string& suffix) {
    if (suffix.size() > path.size()) {
        return false;
    }
    if (path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return false;
    }
    return suffix.size() == path.size() || suffix.front() == '/' ||
           path[path.size() - suffix.size() - 1] == '/';
}
}  // namespace

std::vector<size_t> resolveTarget(const std::string& target,
                                  const std::vector<TargetCandidate>& candidates,
                                  const std::string& cwd) {
    std::vector<size_t> out;
    if (target.empty()) {
        return out;
    }
    if (isIndex(target)) {
        size_t index = std::stoul(target);
        if (index < candidates.size()) {
            out.push_back(index);
        }
        return out;
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (candidates[i].uid == target) {
            out.push_back(i);
            return out;
        }
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (candidates[i].group == target) {
            out.push_back(i);
        }
    }
    if (!out.empty()) {
        return out;
    }
    std::string absolute;
    if (target.front() == '/') {
        absolute = std::filesystem::path(target).lexically_normal().string();
    } else if (!cwd.empty()) {
        absolute = (std::filesystem::path(cwd) / target).lexically_normal().string();
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (candidates[i].script == absolute) {
            out.push_back(i);
        }
    }
    if (!out.empty()) {
        return out;
    }
    std::string suffix = std::filesystem::path(target).lexically_normal().string();
    if (suffix.rfind("./", 0) == 0) {
        suffix = suffix.substr(2);
    }
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (endsWithPath(candidates[i].script, suffix)) {
            out.push_back(i);
        }
    }
    return out;
}

}  // namespace forever
