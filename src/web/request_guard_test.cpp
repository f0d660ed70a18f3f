#include <doctest/doctest.h>

#include "web/request_guard.hpp"

using namespace forever::web;

namespace {
GuardPolicy loopback() {
    GuardPolicy p;
    p.hosts = {"127.0.0.1:9615", "localhost:9615"};
    p.token = "secret";
    return p;
}
RequestFacts get(const std::string& path) {
    return RequestFacts{"GET", path, "127.0.0.1:9615", std::nullopt, std::nullopt, std::nullopt};
}
unsigned status(const GuardPolicy& p, const RequestFacts& r) {
    auto refusal = checkRequest(p, r);
    return refusal ? refusal->status : 0;
}
}  // namespace

TEST_CASE("reads from loopback need nothing; actions need the right bearer token") {
    auto p = loopback();
    CHECK(status(p, get("/")) == 0);
    CHECK(status(p, get("/metrics")) == 0);
    auto post = get("/api/processes/a/restart");
    post.method = "POST";
    CHECK(status(p, post) == 401);
    post.authorization = "Bearer wrong";
    CHECK(status(p, post) == 403);
    post.authorization = "Bearer secret";
    CHECK(status(p, post) == 0);
    post.authorization = std::nullopt;
    post.queryToken = "secret";  // never in a URL for actions
    CHECK(status(p, post) == 401);
}

TEST_CASE("Host and Origin must be this server (DNS rebinding, CSRF)") {
    auto p = loopback();
    auto r = get("/");
    r.host = "evil.example:9615";
    CHECK(status(p, r) == 403);
    r.host = std::nullopt;
    CHECK(status(p, r) == 403);
    r.host = "localhost:9615";
    CHECK(status(p, r) == 0);
    r.origin = "http://evil.example";
    CHECK(status(p, r) == 403);
    r.origin = "null";
    CHECK(status(p, r) == 403);
    r.origin = "http://127.0.0.1:9615";
    CHECK(status(p, r) == 0);
}

TEST_CASE("malformed paths and methods") {
    auto p = loopback();
    CHECK(status(p, get("/api/../etc/passwd")) == 400);
    CHECK(status(p, get("/api/processes/..")) == 400);
    CHECK(status(p, get("relative")) == 400);
    CHECK(status(p, get("/a\nb")) == 400);
    CHECK(status(p, get("/" + std::string(2000, 'a'))) == 400);
    auto del = get("/api/processes/a");
    del.method = "DELETE";
    CHECK(status(p, del) == 405);
}

TEST_CASE("beyond loopback every request needs the token, /metrics only with --metrics-public") {
    GuardPolicy p;
    p.token = "secret";
    p.tokenForReads = true;
    auto r = get("/api/processes");
    r.host = "10.0.0.1:9615";
    CHECK(status(p, r) == 401);
    r.queryToken = "secret";
    CHECK(status(p, r) == 0);
    auto m = get("/metrics");
    CHECK(status(p, m) == 401);
    p.metricsPublic = true;
    CHECK(status(p, m) == 0);
}

TEST_CASE("sameToken") {
    CHECK(sameToken("abc", "abc"));
    CHECK_FALSE(sameToken("abd", "abc"));
    CHECK_FALSE(sameToken("ab", "abc"));
    CHECK_FALSE(sameToken("", ""));
}
