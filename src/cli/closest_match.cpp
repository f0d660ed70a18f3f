#include "cli/closest_match.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace forever::cli {

size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            size_t cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
            diag = up;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closestMatch(const std::string& word,
                                        const std::vector<std::string>& names) {
    std::optional<std::string> best;
    size_t bestDistance = 3;  // farther than 2 edits is not a typo
    for (const auto& n : names) {
        size_t d = editDistance(word, n);
        if (d < bestDistance) {
            bestDistance = d;
            best = n;
        }
    }
    return best;
}

std::string didYouMean(const std::string& word, const std::vector<std::string>& names) {
    auto best = closestMatch(word, names);
    return best ? fmt::format(" (did you mean {}?)", *best) : "";
}

}  // namespace forever::cli
