#include "daemon/rolling_reload.hpp"

#include <fmt/format.h>

#include "core/supervisor.hpp"
#include "daemon/dbus_errors.hpp"

namespace forever {

std::string toString(RollingReload::Step step) {
    switch (step) {
        case RollingReload::Step::Reloading:
            return "reloading";
        case RollingReload::Step::Reloaded:
            return "reloaded";
        case RollingReload::Step::Failed:
            return "failed";
        case RollingReload::Step::Skipped:
            return "skipped";
    }
    return "unknown";
}

void RollingReload::run(Supervisor& supervisor, std::vector<std::string> uids, unsigned parallel,
                        Progress progress, Done done) {
    auto roll = std::make_shared<RollingReload>(supervisor, std::move(uids), parallel,
                                                std::move(progress), std::move(done));
    roll->next();
}

RollingReload::RollingReload(Supervisor& supervisor, std::vector<std::string> uids,
                             unsigned parallel, Progress progress, Done done)
    : supervisor_(supervisor),
      uids_(std::move(uids)),
      parallel_(std::max(parallel, 1u)),
      progress_(std::move(progress)),
      done_(std::move(done)) {}

void RollingReload::next() {
    if (advancing_) {
        return;  // the loop below is already running and will see the change
    }
    advancing_ = true;
    auto self = shared_from_this();  // the callbacks below hold it too
    while (failure_.empty() && inFlight_ < parallel_ && nextIndex_ < uids_.size()) {
        const std::string uid = uids_[nextIndex_++];
        Process* p = supervisor_.findByUid(uid);
        if (!p) {
            progress_(uid, Step::Skipped, "no longer supervised");
            continue;
        }
        ++inFlight_;
        progress_(uid, Step::Reloading, "");
        try {
            supervisor_.reload(
                *p, [self, uid](const std::string& failure) { self->finished(uid, failure); });
        } catch (...) {
            finished(uid, dbus_errors::toDbusError(std::current_exception()).getMessage());
        }
    }
    advancing_ = false;
    if (inFlight_ == 0 && (!failure_.empty() || nextIndex_ >= uids_.size()) && !done_called_) {
        done_called_ = true;
        done_(failure_);
    }
}

void RollingReload::finished(const std::string& uid, const std::string& failure) {
    --inFlight_;
    if (failure.empty()) {
        Process* p = supervisor_.findByUid(uid);
        progress_(uid, Step::Reloaded, p ? fmt::format("pid {}", p->run.pid) : "");
    } else {
        progress_(uid, Step::Failed, failure);
        if (failure_.empty()) {
            failure_ = fmt::format("{}: {}", uid, failure);
        }
    }
    next();
}

}  // namespace forever
