#include "core/systemd_names.hpp"

#include <fmt/format.h>

#include <cctype>
#include <functional>

namespace forever {

namespace {
bool isAlnum(unsigned char c) {
    return std::isalnum(c) && c < 0x80;
}
}  // namespace

std::string escapeUnitName(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '/') {
            out += '-';
        } else if (isAlnum(c) || c == ':' || c == '_' || (c == '.' && i > 0)) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    return out;
}

std::string restartUnitBase(const std::string& name) {
    // 255 for the whole name, minus ".service" and room for the hash.
    constexpr size_t kMaxBase = 255 - 8;
    std::string base = "forever-restart-" + escapeUnitName(name);
    if (base.size() <= kMaxBase) {
        return base;
    }
    // std::hash of a string is stable across runs in libstdc++: the same
    // name finds the same timer after foreverd restarts.
    std::string suffix = fmt::format("-{:016x}", std::hash<std::string>{}(name));
    return base.substr(0, kMaxBase - suffix.size()) + suffix;
}

}  // namespace forever
