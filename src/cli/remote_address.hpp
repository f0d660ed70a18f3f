#pragma once
// Where foreverctl's D-Bus connection goes when it is not this machine's
// bus: `-H [user@]host[:port]` (ssh to systemd-stdio-bridge, as
// `systemctl -H` does) or `--machine [user@]NAME` (a local container, as
// `systemctl -M` does). Pure: builds sd-bus address strings and argv
// vectors, so every rule is unit-tested; nothing here runs ssh.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace forever::cli {

// A host the user typed that cannot be one; the caller reports it as usage.
class BadHostSpec : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// `[user@]host[:port]`; an IPv6 host is written in brackets: `[::1]:2222`.
struct HostSpec {
    std::string user;  // empty: ssh's own choice (ssh config, then $USER)
    std::string host;
    std::optional<uint16_t> port;  // empty: ssh's own choice (ssh config, then 22)

    // How the host is shown in a HOST column and in error messages: what
    // the user typed, normalised (`user@host:port`).
    std::string label() const;
};

HostSpec parseHostSpec(std::string_view text);

// `--hosts FILE`'s content: one host per line; blank lines and `#`
// comments are skipped. Throws BadHostSpec naming the line of a bad entry.
std::vector<HostSpec> parseHostList(std::string_view text);

// How ssh is run. Everything else (keys, ProxyJump, known hosts, user
// names per host) comes from the user's own ssh config: forever stores none.
struct SshSettings {
    std::string program = "ssh";  // $FOREVER_SSH overrides (like systemd's $SYSTEMD_SSH)
    unsigned connectTimeoutSeconds = 5;
};

// The argv of `ssh … [user@]host REMOTE_COMMAND…`: no X11, no tty,
// BatchMode (a password prompt would hang a fleet command; failing is the
// answer) and a connect timeout, so an unreachable host fails fast.
std::vector<std::string> sshArgv(const HostSpec& host,
                                 const std::vector<std::string>& remoteCommand,
                                 const SshSettings& ssh);

// sd-bus's escaping of an address value (bus_address_escape() in sd-bus):
// every byte outside [A-Za-z0-9_./-] becomes %xx (lower-case hex).
std::string busAddressEscape(std::string_view value);

// `unixexec:path=ARGV0,argv0=…,argv1=…`: sd-bus forks and execs argv (PATH
// searched) with its stdin/stdout as the bus socket.
std::string unixexecAddress(const std::vector<std::string>& argv);

// The remote command (one string, for the remote shell) that connects
// ssh's stdin/stdout to foreverd's bus there through systemd-stdio-bridge.
std::string remoteBridgeCommand(bool systemBus);

// The bus of foreverd on another host: ssh running remoteBridgeCommand()
// (systemd's own `-H` refuses the user bus).
std::string remoteBusAddress(const HostSpec& host, bool systemBus, const SshSettings& ssh);

// The bus of a local container (systemd-machined): `NAME` or `user@NAME`.
// The system bus of a plain NAME is joined directly (x-machine-unix:, as
// sd-bus does); a user bus goes through `systemd-run -M` with a PAM login
// session, so the container user's XDG_RUNTIME_DIR is set.
std::string machineBusAddress(std::string_view machine, bool systemBus);

}  // namespace forever::cli
