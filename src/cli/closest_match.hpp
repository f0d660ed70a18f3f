#pragma once
// "Did you mean" hints for mistyped actions, options, settings and config
// keys: one edit distance for every place that offers one.
#include <optional>
#include <string>
#include <vector>

namespace forever::cli {

// Edit distance, ignoring case.
size_t editDistance(const std::string& a, const std::string& b);

// The name in `names` closest to `word`, if any is within 2 edits.
std::optional<std::string> closestMatch(const std::string& word,
                                        const std::vector<std::string>& names);

// " (did you mean NAME?)" for the closest match, or "" when none is close.
std::string didYouMean(const std::string& word, const std::vector<std::string>& names);

}  // namespace forever::cli
