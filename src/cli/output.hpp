#pragma once
// How foreverctl prints, and the small pieces of output every verb shares.
// Verbs print their result (text or --json) to stdout and throw CliError on
// failure; main() turns that into one line on stderr and an exit code.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/process_view.hpp"

namespace forever::cli {

struct Output {
    bool json = false;
    bool color = false;
    bool plain = false;
    size_t width = 0;
};

void printJson(const nlohmann::json& j);

// The row of `all` for the D-Bus object `path`, or nullptr.
const ProcessView* findByPath(const std::vector<ProcessView>& all, const std::string& path);

// "1234", or "-" when the process has no run.
std::string displayPid(const ProcessView& p);

// Its log files (combined, stdout, stderr), only those it has.
std::vector<std::string> logFilesOf(const ProcessView& p);

}  // namespace forever::cli
