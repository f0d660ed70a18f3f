#pragma once
// forever.json (forever's own format: one object or an array of them) and
// forever.toml ([[app]] tables, [app.env_NAME] sections) turned into the
// specs Start() takes. A bad file is refused whole, with file:line:column
// pointing at what is wrong, so nothing of it is started.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace forever::cli {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;  // "file:line:col: message"
};

enum class ConfigFormat { Json, Toml };

// Whether each app's script must exist here. With -H the paths are the
// remote host's: foreverd there checks them at Start.
enum class ScriptCheck { Local, Remote };

// `envProfile` (from --env NAME) picks each app's env_NAME section, merged
// over its env. Relative paths (script, sourceDir, workingDir, log files,
// pidFile) are resolved against `baseDir`, the file's directory; the
// working directory defaults to it too.
std::vector<nlohmann::json> parseConfig(const std::string& text, ConfigFormat format,
                                        const std::string& displayName,
                                        const std::filesystem::path& baseDir,
                                        const std::string& envProfile,
                                        ScriptCheck scripts = ScriptCheck::Local);

std::vector<nlohmann::json> loadConfigFile(const std::string& path, const std::string& envProfile,
                                           ScriptCheck scripts = ScriptCheck::Local);

bool isConfigFile(const std::string& path);

// "line:col" for a byte offset in text (1-based, columns in bytes).
std::pair<size_t, size_t> lineColumn(const std::string& text, size_t offset);

}  // namespace forever::cli
