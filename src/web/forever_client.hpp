#pragma once
// forever-web's side of the bus: reads (List, history, CPU counters) are
// plain calls; actions are asynchronous (Restart replies once the app runs
// again, and the HTTP loop must not stop for it); signals from foreverd and
// its name changing owner (a restart of foreverd) are reported as events.
#include <sys/types.h>

#include <sdbus-c++/sdbus-c++.h>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/bus_client.hpp"
#include "cli/process_view.hpp"

namespace forever::web {

struct HistoryPoint {
    uint64_t atUs;  // CLOCK_REALTIME
    uint64_t rssBytes;
    double cpuPercent;
    uint64_t cpuNsec;
};

class ForeverClient {
  public:
    // `changed`: processes or their figures changed; `owner`: foreverd
    // appeared (true) or vanished (false) on the bus.
    ForeverClient(sdbus::IConnection& connection, std::function<void()> changed,
                  std::function<void(bool)> owner);
    ~ForeverClient();

    // These throw sdbus::Error (foreverd gone, unknown process...).
    std::vector<cli::ProcessView> list();
    std::map<std::string, uint64_t> cpuUsageNSec();
    std::vector<HistoryPoint> history(const std::string& uid);
    std::string version();
    // foreverd's pid (0 if unknown), cached until its name changes owner.
    pid_t supervisorPid();

    // Stop, Restart or Reload on the process `uid`; `done` gets "" or the
    // D-Bus error's name and message.
    void act(const std::string& uid, const std::string& verb,
             std::function<void(const std::string& errorName, const std::string& message)> done);

  private:
    sdbus::IProxy& processProxy(const std::string& uid);

    sdbus::IConnection& connection_;
    std::unique_ptr<cli::ManagerProxy> manager_;
    std::unique_ptr<sdbus::IProxy> bus_;
    // One per process acted on: an async call is cancelled with its proxy.
    std::map<std::string, std::unique_ptr<sdbus::IProxy>> processes_;
    sdbus::Slot signalsMatch_;
    sdbus::Slot ownerMatch_;
    pid_t pid_ = 0;
};

}  // namespace forever::web
