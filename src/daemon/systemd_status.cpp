#include "daemon/systemd_status.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

namespace forever {

void SystemdStatus::running(size_t running, size_t total) {
    auto status = fmt::format("STATUS={} of {} processes running", running, total);
    if (status != last_) {
        sd_notify(0, status.c_str());
        last_ = std::move(status);
    }
}

void SystemdStatus::stopping() {
    sd_notify(0, "STOPPING=1\nSTATUS=stopping every process");
}

}  // namespace forever
