#pragma once
// --help and `help ACTION`, written from the verb and option tables.
#include <string>

namespace forever::cli {

// The overview when `action` is empty, else that action's usage and options.
std::string helpText(const std::string& action = "");

}  // namespace forever::cli
