#pragma once
// `reload GROUP`: the members are reloaded `parallel` at a time through
// Supervisor::reload (a new run beside the old, the old one stopped only
// once the new one is ready), so with N members at least N - parallel have
// a ready run at every moment, and with parallel 1 never fewer than N-1.
// The first member whose new run fails ends the roll: the members not yet
// reached keep their old runs, and the outcome names the member and why.
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace forever {

class Supervisor;

class RollingReload : public std::enable_shared_from_this<RollingReload> {
  public:
    enum class Step { Reloading, Reloaded, Failed, Skipped };
    // Each member's steps as they happen (detail: the new pid, or why).
    using Progress =
        std::function<void(const std::string& uid, Step step, const std::string& detail)>;
    // "" when every member took its new run, else "UID: why".
    using Done = std::function<void(const std::string& failure)>;

    // Starts the roll over `uids` (in this order); `done` runs once it
    // ended. A member removed meanwhile is skipped.
    static void run(Supervisor& supervisor, std::vector<std::string> uids, unsigned parallel,
                    Progress progress, Done done);

    RollingReload(Supervisor& supervisor, std::vector<std::string> uids, unsigned parallel,
                  Progress progress, Done done);

  private:
    void next();
    void finished(const std::string& uid, const std::string& failure);

    Supervisor& supervisor_;
    std::vector<std::string> uids_;
    size_t nextIndex_ = 0;
    unsigned parallel_;
    unsigned inFlight_ = 0;
    Progress progress_;
    Done done_;
    std::string failure_;
    bool advancing_ = false;  // next() is on the stack: a synchronous outcome must not recurse
    bool done_called_ = false;
};

std::string toString(RollingReload::Step step);

}  // namespace forever
