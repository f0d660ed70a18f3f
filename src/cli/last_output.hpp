#pragma once
// The last lines a process wrote (its log file, else its journal entries,
// without foreverd's own): what a failed reload shows beside the exit
// status, so the cause is on screen without a second command.
#include <string>
#include <vector>

#include "cli/process_view.hpp"

namespace forever::cli {

// Empty when nothing can be read (the failure is already said otherwise).
std::vector<std::string> lastOutputLines(const ProcessView& process, unsigned lines,
                                         bool systemBus);

}  // namespace forever::cli
