#pragma once
// Reading an option's value by its kind ("10M", "30d", "5"), and putting it
// where it belongs in the Invocation.
#include <cstdint>
#include <optional>
#include <string>

#include "cli/option_table.hpp"

namespace forever::cli {

// A non-negative whole number; `what` names it in the error ("-m", "PID").
uint64_t parseCount(const std::string& what, const std::string& value);
// "10M", "512K", "1G", "4096": bytes, powers of 1024.
uint64_t parseSize(const std::string& option, const std::string& value);
// "30d", "12h", "90m", "45s", "3600": seconds.
uint64_t parseSeconds(const std::string& option, const std::string& value);

// `name` is the option as the user spelled it; `value` is absent for flags.
void applyOption(Invocation& inv, const Option& o, const std::string& name,
                 const std::optional<std::string>& value);

}  // namespace forever::cli
