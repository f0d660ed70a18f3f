// foreverctl web [ADDR:PORT] [--open]: the dashboard URL with the bearer
// token that lets the page act (stop, restart, reload). The token is made
// here if forever-web has not run yet: both sides use the same file, and
// ensureWebToken settles a race between them.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/bus_client.hpp"
#include "cli/verbs.hpp"
#include "weblink/listen_address.hpp"
#include "weblink/web_link.hpp"

extern char** environ;

namespace forever::cli {

namespace {

// xdg-open hands the URL to the desktop's browser and returns.
void openInBrowser(const std::string& url) {
    const char* argv[] = {"xdg-open", url.c_str(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char**>(argv), environ);
    if (rc == ENOENT) {
        throw CliError(kExitFailure,
                       "--open needs xdg-open (Debian: xdg-utils), which is not "
                       "installed; open the URL above yourself");
    }
    if (rc != 0) {
        throw CliError(kExitFailure, fmt::format("cannot run xdg-open: {}", std::strerror(rc)));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw CliError(kExitFailure, "xdg-open could not open the URL above");
    }
}

}  // namespace

int runWeb(const Invocation& inv, const Output& out) {
    const std::string listen = inv.operands.empty() ? "127.0.0.1:9615" : inv.operands.front();
    std::string url;
    std::string tokenPath;
    try {
        // Checked first: a bad address is a usage error, not a token one.
        web::parseListenAddress(listen);
        auto path = web::webTokenPath(inv.system, std::getenv("XDG_RUNTIME_DIR"));
        if (!path) {
            throw CliError(kExitFailure, "XDG_RUNTIME_DIR is not set: no place for the web token");
        }
        tokenPath = *path;
        url = web::dashboardUrl(listen, web::ensureWebToken(tokenPath));
    } catch (const web::AddressError& e) {
        throw UsageError(e.what());
    } catch (const web::TokenError& e) {
        throw CliError(kExitFailure, e.what());
    }
    if (out.json) {
        printJson({{"url", url}, {"tokenFile", tokenPath}});
    } else {
        std::cout << url << "\n" << std::flush;
    }
    if (inv.open) {
        openInBrowser(url);
    }
    return kExitOk;
}

}  // namespace forever::cli
