#include "core/environment.hpp"

extern char** environ;

namespace forever {

std::map<std::string, std::string> currentEnvironment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry = *e;
        auto eq = entry.find('=');
        if (eq != std::string::npos) {
            // emplace: the first of duplicate entries wins, as getenv() sees it.
            env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
        }
    }
    return env;
}

}  // namespace forever
