#include "cli/remote_address.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace forever::cli {

namespace {

bool hasSpaceOrControl(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

uint16_t parsePort(std::string_view text, std::string_view whole) {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        throw BadHostSpec(fmt::format("'{}': the port must be a number", whole));
    }
    unsigned long port = std::stoul(std::string(text));
    if (port == 0 || port > 65535) {
        throw BadHostSpec(fmt::format("'{}': the port must be 1-65535", whole));
    }
    return static_cast<uint16_t>(port);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

std::string HostSpec::label() const {
    std::string out = user.empty() ? "" : user + "@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port) {
        out += fmt::format(":{}", *port);
    }
    return out;
}

HostSpec parseHostSpec(std::string_view text) {
    HostSpec spec;
    std::string_view rest = text;
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        spec.user = std::string(rest.substr(0, at));
        rest.remove_prefix(at + 1);
        if (spec.user.empty() || spec.user.find('@') != std::string::npos) {
            throw BadHostSpec(fmt::format("'{}': expected [user@]host[:port]", text));
        }
    }
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos) {
            throw BadHostSpec(fmt::format("'{}': missing ']' after an IPv6 address", text));
        }
        spec.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                throw BadHostSpec(fmt::format("'{}': expected ':PORT' after ']'", text));
            }
            spec.port = parsePort(rest.substr(1), text);
        }
    } else if (auto colon = rest.find(':'); colon != std::string_view::npos) {
        spec.host = std::string(rest.substr(0, colon));
        spec.port = parsePort(rest.substr(colon + 1), text);
    } else {
        spec.host = std::string(rest);
    }
    if (spec.host.empty()) {
        throw BadHostSpec(fmt::format("'{}': no host name", text));
    }
    // ssh would read a leading '-' as an option (`-oProxyCommand=…`).
    if (spec.host.front() == '-' || (!spec.user.empty() && spec.user.front() == '-')) {
        throw BadHostSpec(fmt::format("'{}': a host or user cannot start with '-'", text));
    }
    if (hasSpaceOrControl(spec.host) || hasSpaceOrControl(spec.user)) {
        throw BadHostSpec(fmt::format("'{}': spaces are not allowed in a host", text));
    }
    return spec;
}

std::vector<HostSpec> parseHostList(std::string_view text) {
    std::vector<HostSpec> hosts;
    unsigned lineNo = 0;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++lineNo;
        if (auto hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        line = trim(line);
        if (line.empty()) {
            continue;
        }
        try {
            hosts.push_back(parseHostSpec(line));
        } catch (const BadHostSpec& e) {
            throw BadHostSpec(fmt::format("line {}: {}", lineNo, e.what()));
        }
    }
    return hosts;
}

std::vector<std::string> sshArgv(const HostSpec& host,
                                 const std::vector<std::string>& remoteCommand,
                                 const SshSettings& ssh) {
    std::vector<std::string> argv = {
        ssh.program,     "-xT", "-o",
        "BatchMode=yes", "-o",  fmt::format("ConnectTimeout={}", ssh.connectTimeoutSeconds),
    };
    if (host.port) {
        argv.push_back("-p");
        argv.push_back(std::to_string(*host.port));
    }
    if (!host.user.empty()) {
        argv.push_back("-l");
        argv.push_back(host.user);
    }
    argv.push_back("--");
    argv.push_back(host.host);
    argv.insert(argv.end(), remoteCommand.begin(), remoteCommand.end());
    return argv;
}

std::string busAddressEscape(std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '_' || c == '-' || c == '/' || c == '.') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::string unixexecAddress(const std::vector<std::string>& argv) {
    std::string out = "unixexec:path=" + busAddressEscape(argv.at(0));
    for (size_t i = 0; i < argv.size(); ++i) {
        out += fmt::format(",argv{}={}", i, busAddressEscape(argv[i]));
    }
    return out;
}

std::string remoteBridgeCommand(bool systemBus) {
    // systemd 252's systemd-stdio-bridge accepts --user but still connects
    // to the system bus (seen: it opens /run/dbus/system_bus_socket), so
    // the session bus is named with --bus-path, found as sd-bus finds it,
    // with /run/user/UID for sessions without XDG_RUNTIME_DIR (no
    // pam_systemd). `sh -c '…'` so the expansion does not depend on the
    // remote login shell (fish, tcsh). SYSTEMD_LOG_TARGET=console: the
    // bridge's own errors come back on stderr instead of the journal.
    std::string script =
        "export SYSTEMD_LOG_TARGET=console; "
        "command -v systemd-stdio-bridge >/dev/null || "
        "{ echo \"systemd-stdio-bridge is not installed there\" >&2; exit 127; }; "
        "exec systemd-stdio-bridge";
    if (!systemBus) {
        script +=
            " \"--bus-path=${DBUS_SESSION_BUS_ADDRESS:-unix:path=${XDG_RUNTIME_DIR:-/run/user/"
            "$(id -u)}/bus}\"";
    }
    return "sh -c '" + script + "'";
}

std::string remoteBusAddress(const HostSpec& host, bool systemBus, const SshSettings& ssh) {
    return unixexecAddress(sshArgv(host, {remoteBridgeCommand(systemBus)}, ssh));
}

std::string machineBusAddress(std::string_view machine, bool systemBus) {
    auto at = machine.find('@');
    if (machine.empty() || at == machine.size() - 1 || hasSpaceOrControl(machine)) {
        throw BadHostSpec(fmt::format("'{}': expected a machine NAME or user@NAME", machine));
    }
    if (at == std::string_view::npos && systemBus) {
        return "x-machine-unix:machine=" + busAddressEscape(machine);
    }
    // As sd-bus does for `-M user@NAME`: a transient unit in the container,
    // as that user, with a PAM session (which sets XDG_RUNTIME_DIR; the
    // unit expands ${XDG_RUNTIME_DIR} itself).
    std::string user =
        at == std::string_view::npos || at == 0 ? "root" : std::string(machine.substr(0, at));
    std::string name(at == std::string_view::npos ? machine : machine.substr(at + 1));
    std::vector<std::string> argv = {
        "systemd-run",          "-M" + name, "-PGq", "--wait", "-pUser=" + user, "-pPAMName=login",
        "systemd-stdio-bridge",
    };
    if (!systemBus) {
        argv.push_back("-punix:path=${XDG_RUNTIME_DIR}/bus");
    }
    return unixexecAddress(argv);
}

}  // namespace forever::cli
