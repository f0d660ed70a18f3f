#pragma once

#include <sdbus-c++/Types.h>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace forever {

// The a{sv} a caller passes to Manager.Start, as the forever.json-style
// object core::specFromJson validates. Only the D-Bus types the interface
// documents are accepted; anything else is a SpecError naming the key.
nlohmann::json specVariantsToJson(const std::map<std::string, sdbus::Variant>& spec);

}  // namespace forever
