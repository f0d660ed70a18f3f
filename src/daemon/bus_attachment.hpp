#pragma once

#include <systemd/sd-event.h>

#include <sdbus-c++/IConnection.h>
#include <functional>

namespace forever {

// Drives an sdbus-c++ 1.2 connection from sd-event without a second thread:
// an io source on the bus fd and a timer, both re-armed from the connection's
// poll data before every loop iteration (how sd-bus attaches itself).
class BusAttachment {
  public:
    // `onFailure` runs when the connection breaks (bus daemon gone).
    BusAttachment(sd_event* event, sdbus::IConnection& connection,
                  std::function<void(const std::string&)> onFailure);
    ~BusAttachment();
    BusAttachment(const BusAttachment&) = delete;
    BusAttachment& operator=(const BusAttachment&) = delete;

    // Handles everything pending right now.
    void process();

  private:
    static int onPrepare(sd_event_source* s, void* self);
    static int onIo(sd_event_source* s, int fd, uint32_t revents, void* self);
    static int onTime(sd_event_source* s, uint64_t usec, void* self);
    void rearm();

    sdbus::IConnection& connection_;
    std::function<void(const std::string&)> onFailure_;
    sd_event_source* io_ = nullptr;
    sd_event_source* timer_ = nullptr;
    bool failed_ = false;
};

}  // namespace forever
