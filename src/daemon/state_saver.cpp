#include "daemon/state_saver.hpp"

#include <fmt/format.h>
#include <syslog.h>

namespace forever {

namespace {
constexpr std::chrono::seconds kRetryEvery{5};
}  // namespace

StateSaver::StateSaver(EventLoop& loop, StateStore& store, std::string where, Hooks hooks)
    : loop_(loop), store_(store), where_(std::move(where)), hooks_(std::move(hooks)) {}

void StateSaver::changed() {
    if (!pending_) {
        pending_ = loop_.addDeferred([this] { saveNow(); });
    }
}

void StateSaver::flush() {
    if (pending_) {
        saveNow();
    }
}

void StateSaver::saveNow() {
    pending_.reset();
    retry_.reset();
    if (!halting_) {
        hooks_.beforeSave();
    }
    auto ec = store_.saveRendered(hooks_.render());
    if (ec && ec != lastError_) {
        hooks_.say(LOG_ERR, fmt::format("cannot save state in {}: {}; the previous state is "
                                        "kept, retrying",
                                        where_, ec.message()));
    } else if (!ec && lastError_) {
        hooks_.say(LOG_NOTICE, fmt::format("state saved in {} again", where_));
    }
    lastError_ = ec;
    if (ec && !halting_) {
        retry_ = loop_.addTimer(kRetryEvery, [this] { saveNow(); });
    }
}

}  // namespace forever
