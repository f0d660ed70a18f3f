#include "daemon/spec_from_dbus.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/process_spec.hpp"

namespace forever {

using nlohmann::json;

nlohmann::json specVariantsToJson(const std::map<std::string, sdbus::Variant>& spec) {
    json out = json::object();
    for (const auto& [key, value] : spec) {
        const std::string type = value.peekValueType();
        if (type == "s") {
            out[key] = value.get<std::string>();
        } else if (type == "b") {
            out[key] = value.get<bool>();
        } else if (type == "i") {
            out[key] = value.get<int32_t>();
        } else if (type == "u") {
            out[key] = value.get<uint32_t>();
        } else if (type == "x") {
            out[key] = value.get<int64_t>();
        } else if (type == "t") {
            out[key] = value.get<uint64_t>();
        } else if (type == "as") {
            out[key] = value.get<std::vector<std::string>>();
        } else if (type == "a{ss}") {
            out[key] = value.get<std::map<std::string, std::string>>();
        } else {
            throw SpecError(fmt::format("'{}' has unsupported D-Bus type '{}'", key, type));
        }
    }
    return out;
}

}  // namespace forever
