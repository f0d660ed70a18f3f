#pragma once

#include <map>
#include <string>

namespace forever {

// This process's environment as a map (NAME -> value); entries without
// '=' are skipped. What a started app inherits unless its spec says
// otherwise.
std::map<std::string, std::string> currentEnvironment();

}  // namespace forever
