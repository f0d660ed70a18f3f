#pragma once
// Server-Sent Events viewers: every open /api/events connection gets each
// broadcast frame. A viewer with nothing to read is a suspended MHD
// connection (no polling); a broadcast resumes it. One that stops reading
// is dropped once its backlog passes a bound, so memory stays bounded.
// Viewers are on a channel: "" is the dashboard's /api/events, others are
// per-resource streams (a log follow: "logs:UID").
#include <microhttpd.h>

#include <functional>
#include <set>
#include <string>

namespace forever::web {

class EventStreams {
  public:
    static constexpr size_t kMaxBacklog = 1 << 20;

    // `wake` makes MHD look at resumed connections.
    explicit EventStreams(std::function<void()> wake) : wake_(std::move(wake)) {}
    ~EventStreams();
    // A response streaming to `c`, starting with `first` (already framed).
    MHD_Response* open(MHD_Connection* c, std::string first, std::string channel = {});
    // Sends "event: NAME\ndata: DATA\n\n" to every viewer of `channel` ("",
    // the dashboard's, for broadcast). `data` is one line.
    void broadcast(const std::string& name, const std::string& data) { send({}, name, data); }
    void send(const std::string& channel, const std::string& name, const std::string& data);
    // A comment frame to every viewer: keeps proxies and MHD's idle timeout
    // from closing.
    void keepAlive();
    size_t viewers(const std::string& channel = {}) const;
    // Called (once) when the last viewer of a channel has gone.
    void onChannelClosed(std::function<void(const std::string& channel)> callback) {
        channelClosed_ = std::move(callback);
    }

    static std::string frame(const std::string& name, const std::string& data);

  private:
    struct Client {
        EventStreams* owner;
        MHD_Connection* connection;
        std::string pending;
        std::string channel;
        bool suspended = false;
        bool dropped = false;
    };
    static ssize_t read(void* cls, uint64_t pos, char* buf, size_t max);
    static void release(void* cls);
    void push(Client& c, const std::string& bytes);

    std::function<void()> wake_;
    std::function<void(const std::string&)> channelClosed_;
    std::set<Client*> clients_;
};

}  // namespace forever::web
