#include "cli/option_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "cli/start_options.hpp"

namespace forever::cli {

uint64_t parseCount(const std::string& option, const std::string& value) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size()) {
        throw UsageError(
            fmt::format("{} expects a non-negative whole number, not '{}'", option, value));
    }
    return n;
}

uint64_t parseSize(const std::string& option, const std::string& value) {
    static const std::string units = "KMG";
    std::string digits = value;
    uint64_t scale = 1;
    if (!value.empty()) {
        auto u =
            units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(value.back()))));
        if (u != std::string::npos) {
            digits.pop_back();
            scale = uint64_t{1} << (10 * (u + 1));
        }
    }
    try {
        return parseCount(option, digits) * scale;
    } catch (const UsageError&) {
        throw UsageError(
            fmt::format("{} expects a size such as 10M, 512K or 4096, not '{}'", option, value));
    }
}

uint64_t parseSeconds(const std::string& option, const std::string& value) {
    std::string digits = value;
    uint64_t scale = 1;
    if (!value.empty() && std::isalpha(static_cast<unsigned char>(value.back()))) {
        switch (value.back()) {
            case 's':
                scale = 1;
                break;
            case 'm':
                scale = 60;
                break;
            case 'h':
                scale = 3600;
                break;
            case 'd':
                scale = 86400;
                break;
            default:
                throw UsageError(fmt::format(
                    "{} expects a duration such as 30d, 12h or 90m, not '{}'", option, value));
        }
        digits.pop_back();
    }
    try {
        return parseCount(option, digits) * scale;
    } catch (const UsageError&) {
        throw UsageError(
            fmt::format("{} expects a duration such as 30d, 12h or 90m, not '{}'", option, value));
    }
}

void applyOption(Invocation& inv, const Option& o, const std::string& name,
                 const std::optional<std::string>& value) {
    const std::string& v = value ? *value : std::string();
    switch (o.kind) {
        case OptionKind::Flag:
            if (o.field) {
                inv.*o.field = true;
            } else {
                inv.spec[o.key] = true;
            }
            return;
        case OptionKind::String:
            if (v.empty()) {
                throw UsageError(fmt::format("{} needs a non-empty value", name));
            }
            inv.spec[o.key] = v;
            return;
        case OptionKind::List:
            if (v.empty()) {
                throw UsageError(fmt::format("{} needs a non-empty value", name));
            }
            inv.spec[o.key].push_back(v);
            return;
        case OptionKind::Millis:
            inv.spec[o.key] = parseCount(name, v);
            return;
        case OptionKind::Integer:
            inv.spec[o.key] = static_cast<int64_t>(parseCount(name, v));
            return;
        case OptionKind::Bytes:
            inv.spec[o.key] = parseSize(name, v);
            return;
        case OptionKind::Seconds:
            inv.spec[o.key] = parseSeconds(name, v);
            return;
        case OptionKind::Signal:
            inv.spec[o.key] = v;  // the daemon knows signal names; it validates
            return;
        case OptionKind::Env:
            parseEnvSetting(v);  // refuse a malformed one now
            inv.envSettings.push_back(v);
            return;
        case OptionKind::Parallel:
            inv.parallel = static_cast<unsigned>(std::min<uint64_t>(parseCount(name, v), 1000));
            if (inv.parallel == 0) {
                throw UsageError(fmt::format("{} needs at least 1", name));
            }
            return;
        case OptionKind::Lines:
            inv.lines = static_cast<unsigned>(std::min<uint64_t>(parseCount(name, v), 1u << 30));
            inv.linesGiven = true;
            return;
        case OptionKind::Remote:
            if (v.empty()) {
                throw UsageError(fmt::format("{} needs a non-empty value", name));
            }
            if (o.key == "hosts") {
                inv.hosts.push_back(v);
            } else if (o.key == "hostsFile") {
                inv.hostsFile = v;
            } else {
                inv.machine = v;
            }
            return;
    }
}

}  // namespace forever::cli
