#include "web/event_streams.hpp"

#include <algorithm>
#include <cstring>

namespace forever::web {

EventStreams::~EventStreams() {
    // MHD_stop_daemon already released every response (and so every client).
    for (Client* c : clients_) {
        c->owner = nullptr;
    }
}

std::string EventStreams::frame(const std::string& name, const std::string& data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
}

MHD_Response* EventStreams::open(MHD_Connection* connection, std::string first,
                                 std::string channel) {
    auto* client = new Client{this, connection, std::move(first), std::move(channel)};
    MHD_Response* r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16 * 1024, &EventStreams::read, client, &EventStreams::release);
    if (!r) {
        delete client;
        return nullptr;
    }
    clients_.insert(client);
    return r;
}

void EventStreams::push(Client& c, const std::string& bytes) {
    if (c.pending.size() + bytes.size() > kMaxBacklog) {
        c.dropped = true;  // read() ends the stream; the page reconnects
        c.pending.clear();
    } else {
        c.pending += bytes;
    }
    if (c.suspended) {
        c.suspended = false;
        MHD_resume_connection(c.connection);
        wake_();
    }
}

void EventStreams::send(const std::string& channel, const std::string& name,
                        const std::string& data) {
    const std::string bytes = frame(name, data);
    for (Client* c : clients_) {
        if (c->channel == channel) {
            push(*c, bytes);
        }
    }
}

size_t EventStreams::viewers(const std::string& channel) const {
    return std::count_if(clients_.begin(), clients_.end(),
                         [&](const Client* c) { return c->channel == channel; });
}

void EventStreams::keepAlive() {
    for (Client* c : clients_) {
        push(*c, ": keep-alive\n\n");
    }
}

ssize_t EventStreams::read(void* cls, uint64_t, char* buf, size_t max) {
    auto* c = static_cast<Client*>(cls);
    if (c->dropped || !c->owner) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (c->pending.empty()) {
        // Nothing to say: park the connection until push() resumes it.
        c->suspended = true;
        MHD_suspend_connection(c->connection);
        return 0;
    }
    const size_t n = std::min(max, c->pending.size());
    std::memcpy(buf, c->pending.data(), n);
    c->pending.erase(0, n);
    return static_cast<ssize_t>(n);
}

void EventStreams::release(void* cls) {
    auto* c = static_cast<Client*>(cls);
    EventStreams* owner = c->owner;
    const std::string channel = std::move(c->channel);
    if (owner) {
        owner->clients_.erase(c);
    }
    delete c;
    if (owner) {
        if (!channel.empty() && owner->channelClosed_ && owner->viewers(channel) == 0) {
            owner->channelClosed_(channel);
        }
    }
}

}  // namespace forever::web
