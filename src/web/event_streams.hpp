#pragma once
// Server-Sent Events viewers: every open /api/events connection gets each
// broadcast frame. A viewer with nothing to read is a suspended MHD
// connection (no polling); a broadcast resumes it. One that stops reading
// is dropped once its backlog passes a bound, so memory stays bounded.
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
    MHD_Response* open(MHD_Connection* c, std::string first);
    // Sends "event: NAME\ndata: DATA\n\n" to every viewer. `data` is one line.
    void broadcast(const std::string& name, const std::string& data);
    // A comment frame: keeps proxies and MHD's idle timeout from closing.
    void keepAlive();
    size_t viewers() const { return clients_.size(); }

    static std::string frame(const std::string& name, const std::string& data);

  private:
    struct Client {
        EventStreams* owner;
        MHD_Connection* connection;
        std::string pending;
        bool suspended = false;
        bool dropped = false;
    };
    static ssize_t read(void* cls, uint64_t pos, char* buf, size_t max);
    static void release(void* cls);
    void push(Client& c, const std::string& bytes);

    std::function<void()> wake_;
    std::set<Client*> clients_;
};

}  // namespace forever::web
