#include "daemon/state_saver.hpp"

#include <fmt/format.h>
#include <syslog.h>

namespace forever {

StateSaver::StateSaver(EventLoop& loop, StateJournal journal, std::string where, Hooks hooks)
    : loop_(loop), where_(std::move(where)), hooks_(std::move(hooks)) {
    writer_ = std::make_unique<StateWriter>(
        loop, std::move(journal),
        [this](uint64_t upTo, std::error_code error) { onSettled(upTo, error); });
}

StateSaver::~StateSaver() = default;

void StateSaver::changed(const std::string& uid) {
    if (dirty_.insert(uid).second) {
        dirtyOrder_.push_back(uid);
    }
    if (!pending_) {
        pending_ = loop_.addDeferred([this] { submit(); });
    }
}

void StateSaver::whenSaved(Saved done) {
    // The batch the pending changes go into, or the last one submitted.
    const uint64_t batch = writer_->submitted() + (dirtyOrder_.empty() ? 0 : 1);
    if (batch <= settledUpTo_) {
        done(lastError_);
        return;
    }
    waiters_.emplace(batch, std::move(done));
}

void StateSaver::flush() {
    if (!dirtyOrder_.empty()) {
        submit();
    }
}

void StateSaver::drain() {
    flush();
    writer_->drain();
}

void StateSaver::submit() {
    pending_.reset();
    if (!halting_) {
        hooks_.beforeSave();
    }
    if (dirtyOrder_.empty()) {
        return;
    }
    std::vector<JournalChange> batch;
    batch.reserve(dirtyOrder_.size());
    for (auto& uid : dirtyOrder_) {
        auto record = hooks_.render(uid);
        batch.push_back({std::move(uid), std::move(record)});
    }
    dirtyOrder_.clear();
    dirty_.clear();
    writer_->submit(std::move(batch));
}

void StateSaver::onSettled(uint64_t upTo, std::error_code error) {
    if (error && error != lastError_) {
        hooks_.say(LOG_ERR, fmt::format("cannot save state in {}: {}; the saved records are "
                                        "kept in memory, retrying",
                                        where_, error.message()));
    } else if (!error && lastError_) {
        hooks_.say(LOG_NOTICE, fmt::format("state saved in {} again", where_));
    }
    lastError_ = error;
    settledUpTo_ = upTo;
    while (!waiters_.empty() && waiters_.begin()->first <= upTo) {
        auto done = std::move(waiters_.begin()->second);
        waiters_.erase(waiters_.begin());
        done(error);
    }
}

}  // namespace forever
