#pragma once
// Turns `foreverctl start` options into the spec the daemon's Start() takes.
// Relative paths are resolved here, against the caller's directory, because
// the daemon runs elsewhere and must only ever see absolute paths.
#include <sdbus-c++/sdbus-c++.h>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/args.hpp"

namespace forever::cli {

// `environment` is the caller's environment; the process inherits it, then
// --env settings on top (forever's behaviour: the app sees the shell's PATH,
// HOME, NODE_ENV...).
nlohmann::json buildStartSpec(const Invocation& inv, const std::filesystem::path& cwd,
                              const std::map<std::string, std::string>& environment);

// a{sv} for D-Bus from the JSON spec: strings, booleans, integers (t when
// non-negative), string lists and string maps.
std::map<std::string, sdbus::Variant> toVariants(const nlohmann::json& spec);

// `instances = N` (the CLI's --instances, or a config key): N specs named
// UID-0..UID-(N-1) (UID defaults to the script's name) with FOREVER_INSTANCE
// set, so an app can pick its port, and "group" = UID, so UID names them
// all; one spec, unchanged, without it.
// Throws UsageError for N outside 1..1000.
std::vector<nlohmann::json> expandInstances(nlohmann::json spec);

// `path` made absolute against `base` ("~/" is $HOME), normalised.
std::string resolvePath(const std::filesystem::path& base, const std::string& path);

}  // namespace forever::cli
