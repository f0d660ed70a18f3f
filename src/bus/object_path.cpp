#include "bus/object_path.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <new>

namespace forever {

std::string processObjectPath(const std::string& uid) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/forever/Forever1/process", uid.c_str(), &path) < 0) {
        throw std::bad_alloc();
    }
    std::string out(path);
    std::free(path);
    return out;
}

}  // namespace forever
