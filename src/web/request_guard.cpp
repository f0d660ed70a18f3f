#include "web/request_guard.hpp"

#include <algorithm>

namespace forever::web {

bool sameToken(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0 && !b.empty();
}

namespace {

bool cleanPath(const std::string& path) {
    if (path.empty() || path.front() != '/' || path.size() > 1024) {
        return false;
    }
    if (path.find("/../") != std::string::npos || path.find("/./") != std::string::npos ||
        path.ends_with("/..") || path.ends_with("/.") || path.find("//") != std::string::npos) {
        return false;
    }
    return std::none_of(path.begin(), path.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

bool hostAccepted(const GuardPolicy& policy, const std::string& host) {
    return policy.hosts.empty() ||
           std::find(policy.hosts.begin(), policy.hosts.end(), host) != policy.hosts.end();
}

std::optional<std::string> bearer(const RequestFacts& r) {
    if (r.authorization && r.authorization->rfind("Bearer ", 0) == 0) {
        return r.authorization->substr(7);
    }
    return std::nullopt;
}

}  // namespace

std::optional<Refusal> checkRequest(const GuardPolicy& policy, const RequestFacts& r) {
    if (!cleanPath(r.path)) {
        return Refusal{400, "malformed path"};
    }
    if (!r.host || !hostAccepted(policy, *r.host)) {
        return Refusal{403, "Host is not this server's address"};
    }
    // A browser sends Origin on every POST and cross-origin fetch; a page of
    // another site must not drive this one. "null" (sandboxed, file:) too.
    if (r.origin && !(r.origin->rfind("http://", 0) == 0 &&
                      hostAccepted(policy, r.origin->substr(7)) && r.origin->size() > 7)) {
        return Refusal{403, "Origin is not this server"};
    }
    const bool action = r.method == "POST";
    if (!action && r.method != "GET" && r.method != "HEAD") {
        return Refusal{405, "only GET, HEAD and POST"};
    }
    const bool isMetrics = r.path == "/metrics";
    const bool needsToken =
        action || (policy.tokenForReads && !(isMetrics && policy.metricsPublic));
    if (!needsToken) {
        return std::nullopt;
    }
    // Actions only take the header: a token in a URL ends in histories/logs.
    std::optional<std::string> given = bearer(r);
    if (!given && !action) {
        given = r.queryToken;
    }
    if (!given) {
        return Refusal{401, "a bearer token is needed (see foreverctl web)"};
    }
    if (!sameToken(*given, policy.token)) {
        return Refusal{403, "wrong token"};
    }
    return std::nullopt;
}

}  // namespace forever::web
