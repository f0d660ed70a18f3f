#pragma once
// HTTP health checks (--health-url), on the event loop: a non-blocking
// connect, "GET path HTTP/1.0", the status line, a timeout. Only http://
// (a health endpoint is local); any 2xx is healthy.
#include <functional>
#include <optional>
#include <string>

#include "core/event_loop.hpp"
#include "core/unique_fd.hpp"

namespace forever {

struct HttpUrl {
    std::string host;
    unsigned port = 80;
    std::string path = "/";
};

// nullopt (with `error` set) for anything but http://host[:port][/path].
std::optional<HttpUrl> parseHttpUrl(const std::string& url, std::string& error);

// The status code of an HTTP status line ("HTTP/1.1 200 OK" → 200), or 0.
int parseStatusLine(const std::string& head);

// One request. `done(ok, detail)` runs exactly once, from the loop (never
// from the constructor); destroying the probe cancels it silently.
class HttpProbe {
  public:
    using Done = std::function<void(bool ok, const std::string& detail)>;
    HttpProbe(EventLoop& loop, const HttpUrl& url, Millis timeout, Done done);
    ~HttpProbe();

  private:
    void finish(bool ok, const std::string& detail);
    void onWritable();
    void onReadable();

    EventLoop& loop_;
    HttpUrl url_;
    Done done_;
    UniqueFd fd_;
    EventLoop::HandlePtr io_;
    EventLoop::HandlePtr timer_;
    std::string response_;
};

}  // namespace forever
