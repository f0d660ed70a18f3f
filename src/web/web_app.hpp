#pragma once
// forever-web's routes: the dashboard, /metrics, the JSON API, actions and
// the live event stream. Everything a request may do passes checkRequest.
#include <systemd/sd-event.h>

#include <string>

#include "web/forever_client.hpp"
#include "web/http_server.hpp"
#include "web/log_follow.hpp"
#include "web/request_guard.hpp"

namespace forever::web {

class EventStreams;

class WebApp {
  public:
    WebApp(sd_event* event, ForeverClient& client, GuardPolicy policy, EventStreams& streams);
    ~WebApp();
    WebApp(const WebApp&) = delete;
    WebApp& operator=(const WebApp&) = delete;

    void handle(const HttpRequest& request, const Reply& reply);
    // A signal from foreverd: viewers get a fresh process list shortly (one
    // List() per burst of signals, however many viewers there are).
    void processesChanged();
    void supervisorAvailable(bool up);

  private:
    void route(const HttpRequest& request, const Reply& reply);
    void processRoute(const HttpRequest& request, const std::string& rest, const Reply& reply);
    HttpResponse metrics(const HttpRequest& request);
    HttpResponse logs(const cli::ProcessView& process, const HttpRequest& request);
    HttpResponse eventStream();
    std::string processesJson();
    void broadcastProcesses();
    static int onRefresh(sd_event_source*, uint64_t, void* self);

    sd_event* event_;
    ForeverClient& client_;
    GuardPolicy policy_;
    EventStreams& streams_;
    LogFollow follow_;
    sd_event_source* refresh_ = nullptr;
    bool supervisorUp_ = true;
};

}  // namespace forever::web
