#include "web/http_server.hpp"

#include <sys/epoll.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "web/event_streams.hpp"

namespace forever::web {

namespace {

uint64_t monotonicUs() {
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

MHD_Result collect(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* out = static_cast<std::map<std::string, std::string>*>(cls);
    std::string name = key ? key : "";
    out->emplace(std::move(name), value ? value : "");
    return MHD_YES;
}

}  // namespace

std::optional<std::string> HttpRequest::header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::nullopt : std::optional(it->second);
}

std::optional<std::string> HttpRequest::param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::nullopt : std::optional(it->second);
}

// Per request: MHD calls the access handler several times (headers, body
// chunks, end, and again after a resume).
struct HttpServer::Request {
    size_t bodyBytes = 0;
    bool tooLarge = false;
    bool handled = false;
    bool inHandler = false;
    std::optional<HttpResponse> ready;
    // Cleared when MHD is done with the request: a late reply (foreverd
    // answering after the client left) must not touch it.
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

HttpServer::HttpServer(sd_event* event, int listenFd, const sockaddr* bindTo, ServerLimits limits,
                       Handler handler)
    : event_(event),
      limits_(limits),
      handler_(std::move(handler)),
      streams_(std::make_unique<EventStreams>([this] { wake(); })) {
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (listenFd < 0 && bindTo && bindTo->sa_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    daemon_ = MHD_start_daemon(
        flags, 0, nullptr, nullptr, &HttpServer::onAccess, this, MHD_OPTION_CONNECTION_LIMIT,
        limits_.connections, MHD_OPTION_CONNECTION_TIMEOUT, limits_.timeoutSeconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits_.connectionMemory, MHD_OPTION_NOTIFY_COMPLETED,
        &HttpServer::onCompleted, this, MHD_OPTION_NOTIFY_CONNECTION, &HttpServer::onConnection,
        this, listenFd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_SOCK_ADDR,
        listenFd >= 0 ? static_cast<intptr_t>(listenFd) : reinterpret_cast<intptr_t>(bindTo),
        MHD_OPTION_END);
    if (!daemon_) {
        throw std::runtime_error("libmicrohttpd could not start (address in use?)");
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
    int r =
        info ? sd_event_add_io(event_, &io_, info->epoll_fd, EPOLLIN, &HttpServer::onIo, this) : -1;
    if (r >= 0) {
        r = sd_event_source_set_prepare(io_, &HttpServer::onPrepare);
    }
    if (r >= 0) {
        r = sd_event_add_time(event_, &timer_, CLOCK_MONOTONIC, UINT64_MAX, 0, &HttpServer::onTimer,
                              this);
    }
    if (r >= 0) {
        r = sd_event_add_defer(event_, &wake_, &HttpServer::onWake, this);
    }
    if (r >= 0) {
        r = sd_event_source_set_enabled(wake_, SD_EVENT_OFF);
    }
    if (r < 0) {
        MHD_stop_daemon(daemon_);
        throw std::runtime_error("cannot attach libmicrohttpd to the event loop");
    }
    lastActivity_ = monotonicUs();
}

HttpServer::~HttpServer() {
    sd_event_source_disable_unref(wake_);
    sd_event_source_disable_unref(io_);
    sd_event_source_disable_unref(timer_);
    MHD_stop_daemon(daemon_);
}

void HttpServer::run() {
    MHD_run(daemon_);
}

void HttpServer::rearm() {
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(daemon_, &ms) == MHD_YES) {
        sd_event_source_set_time(timer_, monotonicUs() + ms * 1000);
        sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT);
    } else {
        sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
    }
}

int HttpServer::onIo(sd_event_source*, int, uint32_t, void* self) {
    static_cast<HttpServer*>(self)->run();
    return 0;
}

void HttpServer::wake() {
    sd_event_source_set_enabled(wake_, SD_EVENT_ONESHOT);
}

int HttpServer::onWake(sd_event_source*, void* self) {
    static_cast<HttpServer*>(self)->run();
    return 0;
}

int HttpServer::onTimer(sd_event_source*, uint64_t, void* self) {
    static_cast<HttpServer*>(self)->run();
    return 0;
}

int HttpServer::onPrepare(sd_event_source*, void* self) {
    static_cast<HttpServer*>(self)->rearm();
    return 0;
}

void HttpServer::onConnection(void* self, MHD_Connection*, void**,
                              MHD_ConnectionNotificationCode what) {
    auto* s = static_cast<HttpServer*>(self);
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        ++s->open_;
    } else if (s->open_ > 0) {
        --s->open_;
    }
    s->lastActivity_ = monotonicUs();
}

void HttpServer::onCompleted(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
    auto* request = static_cast<Request*>(*state);
    if (request) {
        *request->alive = false;
        delete request;
        *state = nullptr;
    }
}

MHD_Result HttpServer::onAccess(void* self, MHD_Connection* c, const char* url, const char* method,
                                const char*, const char* upload, size_t* uploadSize, void** state) {
    return static_cast<HttpServer*>(self)->access(c, url, method, upload, uploadSize, state);
}

MHD_Result HttpServer::queue(MHD_Connection* c, const HttpResponse& response) {
    MHD_Response* r = nullptr;
    if (response.eventStream && response.status == 200) {
        r = streams_->open(c, response.body, response.streamChannel);
    } else {
        r = MHD_create_response_from_buffer(
            response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
    }
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", response.contentType.c_str());
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    for (const auto& [name, value] : response.headers) {
        MHD_add_response_header(r, name.c_str(), value.c_str());
    }
    MHD_Result ok = MHD_queue_response(c, response.status, r);
    MHD_destroy_response(r);
    return ok;
}

MHD_Result HttpServer::access(MHD_Connection* c, const char* url, const char* method, const char*,
                              size_t* uploadSize, void** state) {
    auto* request = static_cast<Request*>(*state);
    if (!request) {
        request = new Request;
        *state = request;
        const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (length && std::strtoull(length, nullptr, 10) > limits_.maxBody) {
            request->tooLarge = true;
            return queue(c, HttpResponse{413, "text/plain", "request body too large\n"});
        }
        return MHD_YES;
    }
    if (*uploadSize > 0) {
        request->bodyBytes += *uploadSize;
        *uploadSize = 0;
        request->tooLarge = request->tooLarge || request->bodyBytes > limits_.maxBody;
        return MHD_YES;
    }
    if (request->tooLarge) {
        return queue(c, HttpResponse{413, "text/plain", "request body too large\n"});
    }
    if (request->ready) {
        return queue(c, *request->ready);
    }
    if (request->handled) {
        return MHD_YES;  // resumed before the reply (cannot happen; harmless)
    }
    request->handled = true;
    HttpRequest in;
    in.method = method ? method : "";
    in.path = url ? url : "";
    std::map<std::string, std::string> raw;
    MHD_get_connection_values(c, MHD_HEADER_KIND, &collect, &raw);
    for (auto& [name, value] : raw) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        in.headers[lower] = value;
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, &collect, &in.query);
    std::weak_ptr<bool> alive = request->alive;
    request->inHandler = true;
    handler_(in, [this, c, request, alive](HttpResponse response) {
        auto live = alive.lock();
        if (!live || !*live) {
            return;  // the client went away meanwhile
        }
        request->ready = std::move(response);
        if (!request->inHandler) {
            MHD_resume_connection(c);  // MHD calls access() again, which queues it
            wake();
        }
    });
    request->inHandler = false;
    if (request->ready) {
        return queue(c, *request->ready);
    }
    MHD_suspend_connection(c);
    return MHD_YES;
}

}  // namespace forever::web
