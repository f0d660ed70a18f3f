#include "weblink/web_link.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "weblink/listen_address.hpp"

namespace forever::web {

std::optional<std::string> webTokenPath(bool system, const char* xdgRuntimeDir) {
    if (system) {
        return std::string("/run/forever/web-token");
    }
    if (!xdgRuntimeDir || !*xdgRuntimeDir) {
        return std::nullopt;
    }
    return std::string(xdgRuntimeDir) + "/forever/web-token";
}

namespace {

std::string errnoText(const std::string& what, const std::string& path) {
    return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

std::string randomHex(size_t bytes) {
    std::string raw(bytes, '\0');
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
        if (n < 0 && errno != EINTR) {
            throw TokenError(fmt::format("getrandom: {}", std::strerror(errno)));
        }
        got += n > 0 ? static_cast<size_t>(n) : 0;
    }
    std::string out;
    for (unsigned char c : raw) {
        out += fmt::format("{:02x}", c);
    }
    return out;
}

}  // namespace

std::optional<std::string> readWebToken(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw TokenError(errnoText("cannot open", path));
    }
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n < 0) {
        throw TokenError(errnoText("cannot read", path));
    }
    std::string token(buf, static_cast<size_t>(n));
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) {
        token.pop_back();
    }
    if (token.empty()) {
        throw TokenError(fmt::format("{} is empty", path));
    }
    return token;
}

std::string ensureWebToken(const std::string& path) {
    if (auto existing = readWebToken(path)) {
        return *existing;
    }
    const std::string dir = path.substr(0, path.rfind('/'));
    if (!dir.empty() && ::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
        throw TokenError(errnoText("cannot create", dir));
    }
    // Written beside and linked into place: a reader never sees half a
    // token, and of two starting at once the second link fails with EEXIST,
    // so both read back the first one's token below.
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw TokenError(errnoText("cannot create", tmp));
    }
    const std::string token = randomHex(32) + "\n";
    bool ok = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::link(tmp.c_str(), path.c_str()) < 0) {
        const bool raced = ok && errno == EEXIST;
        ::unlink(tmp.c_str());
        if (!raced) {
            throw TokenError(errnoText("cannot write", path));
        }
    } else {
        ::unlink(tmp.c_str());
    }
    if (auto written = readWebToken(path)) {
        return *written;
    }
    throw TokenError(fmt::format("{} vanished while it was created", path));
}

std::string dashboardUrl(const std::string& listen, const std::string& token) {
    ListenAddress address = parseListenAddress(listen);
    if (address.host == "0.0.0.0") {
        address.host = "127.0.0.1";
    } else if (address.host == "::") {
        address.host = "::1";
    }
    const std::string base = fmt::format("http://{}/", address.hostPort());
    if (token.empty()) {
        return base;
    }
    return isLoopback(address.host) ? base + "#token=" + token : base + "?token=" + token;
}

}  // namespace forever::web
