#pragma once

#include <cstddef>
#include <string>

namespace forever {

// The STATUS= line systemctl status shows for foreverd. Only changes are
// sent: sd_notify() blocks when the manager's socket queue is full, and
// this is counted after every loop iteration with events.
class SystemdStatus {
  public:
    void running(size_t running, size_t total);
    // foreverd is halting: STOPPING=1, and the line says so for good.
    void stopping();

  private:
    std::string last_;
};

}  // namespace forever
