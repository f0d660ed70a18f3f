#include "bus/object_path.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <new>

namespace forever {

std::string processObjectPath(const std::string& uid) {
    char* path = nullptr;
    if (sd_bus_path_encode(kProcessPathPrefix, uid.c_str(), &path) < 0) {
        throw std::bad_alloc();
    }
    std::string out(path);
    std::free(path);
    return out;
}

std::optional<std::string> processUidOfPath(const char* path) {
    char* label = nullptr;
    if (sd_bus_path_decode(path, kProcessPathPrefix, &label) <= 0) {
        return std::nullopt;
    }
    std::string out(label);
    std::free(label);
    return out;
}

}  // namespace forever
