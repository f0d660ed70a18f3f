#pragma once
// The sd_notify protocol, from the receiving side, for supervised apps: one
// datagram socket per process (abstract namespace, so no file to clean up),
// passed to the app as NOTIFY_SOCKET. Messages are "KEY=VALUE" lines;
// senders are identified by SO_PASSCRED so the supervisor can accept only
// the app's own processes. File descriptors sent along (systemd-notify's
// BARRIER=1) are closed at once, which is what the sender waits for.
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "core/event_loop.hpp"
#include "core/unique_fd.hpp"

namespace forever {

using NotifyFields = std::map<std::string, std::string>;

// "READY=1\nSTATUS=up" → {READY: 1, STATUS: up}; malformed lines ignored.
NotifyFields parseNotifyMessage(const std::string& text);

class NotifySocket {
  public:
    using OnMessage = std::function<void(pid_t sender, const NotifyFields& fields)>;

    // Throws std::system_error when the socket cannot be made.
    NotifySocket(EventLoop& loop, const std::string& name, OnMessage onMessage);

    // The value for NOTIFY_SOCKET ("@forever/1234/web").
    const std::string& address() const { return address_; }

  private:
    void onReadable();

    UniqueFd fd_;
    std::string address_;
    OnMessage onMessage_;
    EventLoop::HandlePtr watch_;
};

}  // namespace forever
