#pragma once
// Who may do what, decided from the request's headers alone (pure, tested
// without a server): a dashboard that can stop apps is a door.
#include <optional>
#include <string>
#include <vector>

namespace forever::web {

struct GuardPolicy {
    std::vector<std::string> hosts;  // accepted Host values; empty: any (non-loopback bind)
    std::string token;
    bool tokenForReads = false;  // listening beyond loopback
    bool metricsPublic = false;  // ...but /metrics stays open (--metrics-public)
};

struct RequestFacts {
    std::string method;
    std::string path;
    std::optional<std::string> host;
    std::optional<std::string> origin;
    std::optional<std::string> authorization;  // the header, "Bearer T"
    std::optional<std::string> queryToken;     // ?token= (EventSource cannot set headers)
};

struct Refusal {
    unsigned status;  // 400, 401, 403, 405
    std::string reason;
};

// nullopt: go ahead. Order: malformed, Host (DNS rebinding), Origin (CSRF),
// method, token.
std::optional<Refusal> checkRequest(const GuardPolicy& policy, const RequestFacts& request);

// Length-independent comparison, so timing does not leak the token.
bool sameToken(const std::string& a, const std::string& b);

}  // namespace forever::web
