// Whether a spec can run on this machine (its files exist, its interpreter
// is found): checked at start, apart from the schema, because it reads the
// disk and the schema does not.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/process_spec.hpp"

namespace forever {

namespace {
bool isExecutable(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

bool resolvesInPath(const std::string& command, const SharedEnvironment& env) {
    if (command.find('/') != std::string::npos) {
        return isExecutable(command);
    }
    std::string path(env.find("PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) {
            end = path.size();
        }
        std::string dir = path.substr(start, end - start);
        if (!dir.empty() && isExecutable(dir + "/" + command)) {
            return true;
        }
        start = end + 1;
    }
    return false;
}
}  // namespace

void validateSpec(const ProcessSpec& spec) {
    if (!isValidUid(spec.uid)) {
        throw SpecError(
            fmt::format("invalid uid '{}': use printable characters, no '/'", spec.uid));
    }
    if (spec.script.empty() || spec.script.front() != '/') {
        throw SpecError(fmt::format("script '{}' must be an absolute path", spec.script));
    }
    struct stat st {};
    if (::stat(spec.script.c_str(), &st) != 0) {
        throw SpecError(fmt::format("script not found: {}", spec.script));
    }
    if (!S_ISREG(st.st_mode)) {
        throw SpecError(fmt::format("script is not a regular file: {}", spec.script));
    }
    if (spec.command.empty()) {
        if (::access(spec.script.c_str(), X_OK) != 0) {
            throw SpecError(fmt::format(
                "script {} is not executable; give an interpreter with -c COMMAND", spec.script));
        }
    } else if (!resolvesInPath(spec.command, spec.env)) {
        throw SpecError(fmt::format("interpreter '{}' not found in PATH", spec.command));
    }
    if (!spec.workingDir.empty()) {
        if (::stat(spec.workingDir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            throw SpecError(fmt::format("working directory not found: {}", spec.workingDir));
        }
    }
    if (!spec.group.empty() && !isValidUid(spec.group)) {
        throw SpecError(
            fmt::format("invalid group '{}': use printable characters, no '/'", spec.group));
    }
    if (spec.crashLoopBurst == 0) {
        throw SpecError("'crashLoopBurst' must be at least 1");
    }
}

}  // namespace forever
