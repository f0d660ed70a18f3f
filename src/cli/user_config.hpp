#pragma once
// foreverctl's own defaults (forever's `config`, `set`, `clear`, `columns`),
// kept in $XDG_CONFIG_HOME/forever/config.json. Pure functions over the
// JSON document plus load/save, so the rules are unit-tested.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forever::cli {

// Every column `list` can show, in their default order first.
const std::vector<std::string>& allColumns();
const std::vector<std::string>& defaultColumns();

// The keys `set` accepts: columns (comma-separated), color (auto, always,
// never), lines (default for logs -n).
const std::vector<std::string>& configKeys();

std::filesystem::path userConfigPath();
nlohmann::json loadUserConfig(const std::filesystem::path& path);  // {} when absent
void saveUserConfig(const std::filesystem::path& path, const nlohmann::json& config);

// Each throws UsageError on a bad key, value or column name.
void setConfigValue(nlohmann::json& config, const std::string& key, const std::string& value);
void clearConfigValue(nlohmann::json& config, const std::string& key);
std::vector<std::string> columnsOf(const nlohmann::json& config);
void changeColumns(nlohmann::json& config, const std::string& verb,
                   const std::vector<std::string>& names);

}  // namespace forever::cli
