#pragma once

#include <sdbus-c++/Types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/process.hpp"
#include "daemon/process_properties.hpp"

namespace forever {

// Manager.ListColumns' reply: one array per field, in the order
// dbus/org.forever.Forever1.Manager.xml gives them. Spelled out for the same
// reason as ProcessRow: the override of the generated method checks it.
using ProcessColumns = sdbus::Struct<
    std::vector<sdbus::ObjectPath>, std::vector<std::string>, std::vector<std::string>,
    std::vector<std::string>, std::vector<std::vector<std::string>>, std::vector<std::string>,
    std::vector<uint32_t>, std::vector<std::string>, std::vector<uint32_t>, std::vector<uint64_t>,
    std::vector<int32_t>, std::vector<int32_t>, std::vector<std::string>, std::vector<std::string>,
    std::vector<std::string>, std::vector<uint64_t>, std::vector<double>, std::vector<uint32_t>,
    std::vector<std::string>, std::vector<uint32_t>, std::vector<std::string>>;

// The columns `names` of every process of `table` (others left empty).
// Throws std::invalid_argument naming an unknown name.
ProcessColumns processColumns(const std::vector<std::unique_ptr<Process>>& table,
                              const std::vector<std::string>& names,
                              const std::map<std::string, ProcessFigures>& figures);

}  // namespace forever
