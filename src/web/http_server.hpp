#pragma once
// libmicrohttpd driven by sd-event: MHD's own epoll fd is one io source of
// our loop and its timeout one timer, so HTTP, D-Bus and SSE share a single
// thread (no lock anywhere). Requests are answered at once or later (an
// action waits for foreverd's reply: the connection is suspended meanwhile).
#include <microhttpd.h>
#include <systemd/sd-event.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace forever::web {

struct HttpRequest {
    std::string method;
    std::string path;                            // already percent-decoded by MHD
    std::map<std::string, std::string> headers;  // lower-case names
    std::map<std::string, std::string> query;
    std::optional<std::string> header(const std::string& lowerName) const;
    std::optional<std::string> param(const std::string& name) const;
};

struct HttpResponse {
    HttpResponse() = default;
    HttpResponse(unsigned status_, std::string contentType_, std::string body_)
        : status(status_), contentType(std::move(contentType_)), body(std::move(body_)) {}
    unsigned status = 200;
    std::string contentType = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool eventStream = false;   // keep the connection as an SSE viewer
    std::string streamChannel;  // of EventStreams: "" is the dashboard's
};

class EventStreams;

// Handed to the handler; calling it (now or later, once) sends the reply.
using Reply = std::function<void(HttpResponse)>;
using Handler = std::function<void(const HttpRequest&, Reply)>;

struct ServerLimits {
    unsigned connections = 128;
    unsigned timeoutSeconds = 15;     // idle/slow clients (slowloris)
    size_t connectionMemory = 32768;  // request line + headers; beyond: 431/413
    size_t maxBody = 4096;            // POST bodies are unused: anything larger is 413
};

class HttpServer {
  public:
    // `listenFd` >= 0: a socket handed over by systemd; else bind `sockaddr`.
    HttpServer(sd_event* event, int listenFd, const struct sockaddr* bindTo, ServerLimits limits,
               Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    EventStreams& streams() { return *streams_; }
    unsigned openConnections() const { return open_; }
    // CLOCK_MONOTONIC µs of the last connection opened or closed.
    uint64_t lastActivityUs() const { return lastActivity_; }

  private:
    struct Request;
    static MHD_Result onAccess(void* self, MHD_Connection* c, const char* url, const char* method,
                               const char* version, const char* upload, size_t* uploadSize,
                               void** state);
    static void onCompleted(void* self, MHD_Connection* c, void** state,
                            MHD_RequestTerminationCode why);
    static void onConnection(void* self, MHD_Connection* c, void** socketContext,
                             MHD_ConnectionNotificationCode what);
    static int onIo(sd_event_source*, int, uint32_t, void* self);
    static int onTimer(sd_event_source*, uint64_t, void* self);
    static int onPrepare(sd_event_source*, void* self);
    static int onWake(sd_event_source*, void* self);
    // A connection was resumed outside MHD_run: MHD only notices it in its
    // next run, which nothing else would trigger.
    void wake();
    MHD_Result access(MHD_Connection* c, const char* url, const char* method, const char* upload,
                      size_t* uploadSize, void** state);
    MHD_Result queue(MHD_Connection* c, const HttpResponse& response);
    void run();
    void rearm();

    sd_event* event_;
    ServerLimits limits_;
    Handler handler_;
    MHD_Daemon* daemon_ = nullptr;
    sd_event_source* io_ = nullptr;
    sd_event_source* timer_ = nullptr;
    sd_event_source* wake_ = nullptr;
    std::unique_ptr<EventStreams> streams_;
    unsigned open_ = 0;
    uint64_t lastActivity_ = 0;
};

}  // namespace forever::web
