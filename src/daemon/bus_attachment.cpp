#include "daemon/bus_attachment.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <sdbus-c++/Error.h>
#include <stdexcept>

namespace forever {

namespace {
uint32_t toEpoll(short events) {
    uint32_t out = 0;
    if (events & POLLIN) {
        out |= EPOLLIN;
    }
    if (events & POLLOUT) {
        out |= EPOLLOUT;
    }
    return out;
}
}  // namespace

BusAttachment::BusAttachment(sd_event* event, sdbus::IConnection& connection,
                             std::function<void(const std::string&)> onFailure)
    : connection_(connection), onFailure_(std::move(onFailure)) {
    auto poll = connection_.getEventLoopPollData();
    int r = sd_event_add_io(event, &io_, poll.fd, toEpoll(poll.events), &BusAttachment::onIo, this);
    if (r >= 0) {
        r = sd_event_source_set_prepare(io_, &BusAttachment::onPrepare);
    }
    if (r >= 0) {
        r = sd_event_add_time(event, &timer_, CLOCK_MONOTONIC, UINT64_MAX, 0,
                              &BusAttachment::onTime, this);
    }
    if (r < 0) {
        throw std::runtime_error("cannot attach the bus to the event loop");
    }
    sd_event_source_set_description(io_, "bus-io");
    sd_event_source_set_description(timer_, "bus-timeout");
}

BusAttachment::~BusAttachment() {
    sd_event_source_disable_unref(io_);
    sd_event_source_disable_unref(timer_);
}

void BusAttachment::rearm() {
    if (failed_) {
        return;
    }
    auto poll = connection_.getEventLoopPollData();
    sd_event_source_set_io_events(io_, toEpoll(poll.events));
    if (poll.timeout_usec == UINT64_MAX) {
        sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
    } else {
        sd_event_source_set_time(timer_, poll.timeout_usec);
        sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT);
    }
}

void BusAttachment::process() {
    if (failed_) {
        return;
    }
    try {
        while (connection_.processPendingRequest()) {
        }
    } catch (const sdbus::Error& e) {
        // The connection is gone (bus daemon exited or kicked us): nothing
        // can be answered any more, so let the daemon exit and be restarted.
        failed_ = true;
        sd_event_source_set_enabled(io_, SD_EVENT_OFF);
        sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
        onFailure_(e.getMessage());
    }
}

int BusAttachment::onPrepare(sd_event_source*, void* self) {
    static_cast<BusAttachment*>(self)->rearm();
    return 0;
}

int BusAttachment::onIo(sd_event_source*, int, uint32_t, void* self) {
    static_cast<BusAttachment*>(self)->process();
    return 0;
}

int BusAttachment::onTime(sd_event_source*, uint64_t, void* self) {
    static_cast<BusAttachment*>(self)->process();
    return 0;
}

}  // namespace forever
