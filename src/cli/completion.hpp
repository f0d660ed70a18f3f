#pragma once
// `foreverctl __complete actions|options [ACTION]|targets`: the words shell
// completions offer, from the same tables the parser uses (and, for
// targets, from the daemon), so completions never drift from the program.
#include <string>
#include <vector>

namespace forever::cli {

// The words for `args` (what follows `__complete`, "__complete" included);
// asks the daemon only for targets, and offers none when it is not there.
std::vector<std::string> completionWords(const std::vector<std::string>& args);

}  // namespace forever::cli
