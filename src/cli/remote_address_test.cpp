#include <doctest/doctest.h>

#include "cli/remote_address.hpp"

using namespace forever::cli;

TEST_CASE("host specs: user, host, port, IPv6 in brackets") {
    auto a = parseHostSpec("web1");
    CHECK(a.user.empty());
    CHECK(a.host == "web1");
    CHECK_FALSE(a.port);
    CHECK(a.label() == "web1");

    auto b = parseHostSpec("deploy@10.0.0.7:2222");
    CHECK(b.user == "deploy");
    CHECK(b.host == "10.0.0.7");
    CHECK(b.port == 2222);
    CHECK(b.label() == "deploy@10.0.0.7:2222");

    auto c = parseHostSpec("root@[::1]:22");
    CHECK(c.host == "::1");
    CHECK(c.port == 22);
    CHECK(c.label() == "root@[::1]:22");
    CHECK(parseHostSpec("[fe80::1]").host == "fe80::1");
}

TEST_CASE("host specs ssh would misread are refused") {
    CHECK_THROWS_AS(parseHostSpec(""), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("user@"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("@host"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("host:"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("host:0"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("host:65536"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("host:ssh"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("[::1"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("[::1]x"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("-oProxyCommand=sh"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("-l@host"), BadHostSpec);
    CHECK_THROWS_AS(parseHostSpec("a b"), BadHostSpec);
}

TEST_CASE("a hosts file: one per line, comments and blank lines skipped") {
    auto hosts = parseHostList("# fleet\nweb1\n\n  deploy@web2:2222  # eu\n\tweb3\n");
    REQUIRE(hosts.size() == 3);
    CHECK(hosts[0].host == "web1");
    CHECK(hosts[1].label() == "deploy@web2:2222");
    CHECK(hosts[2].host == "web3");
    CHECK(parseHostList("").empty());
    try {
        parseHostList("web1\nweb2:x\n");
        FAIL("a bad line was accepted");
    } catch (const BadHostSpec& e) {
        CHECK(std::string(e.what()).rfind("line 2: ", 0) == 0);
    }
}

TEST_CASE("ssh argv: batch mode, connect timeout, port and user as options, '--' before host") {
    SshSettings ssh;
    ssh.connectTimeoutSeconds = 3;
    auto argv = sshArgv(parseHostSpec("root@127.0.0.1:2201"), {"journalctl", "-f"}, ssh);
    CHECK(argv == std::vector<std::string>{"ssh", "-xT", "-o", "BatchMode=yes", "-o",
                                           "ConnectTimeout=3", "-p", "2201", "-l", "root", "--",
                                           "127.0.0.1", "journalctl", "-f"});
    ssh.program = "/opt/ssh";
    auto plain = sshArgv(parseHostSpec("web1"), {}, ssh);
    CHECK(plain == std::vector<std::string>{"/opt/ssh", "-xT", "-o", "BatchMode=yes", "-o",
                                            "ConnectTimeout=3", "--", "web1"});
}

TEST_CASE("address values are escaped as sd-bus unescapes them") {
    CHECK(busAddressEscape("abc-_./XYZ09") == "abc-_./XYZ09");
    CHECK(busAddressEscape("a=b,c;d") == "a%3db%2cc%3bd");
    CHECK(busAddressEscape("u@h:1") == "u%40h%3a1");
    CHECK(busAddressEscape("${X} %") == "%24%7bX%7d%20%25");
    CHECK(busAddressEscape("\xc3\xa9") == "%c3%a9");
}

TEST_CASE("the remote bridge: the system bus, or the session bus found as sd-bus finds it") {
    CHECK(remoteBridgeCommand(true) ==
          "sh -c 'export SYSTEMD_LOG_TARGET=console; command -v systemd-stdio-bridge >/dev/null "
          "|| { echo \"systemd-stdio-bridge is not installed there\" >&2; exit 127; }; exec "
          "systemd-stdio-bridge'");
    std::string user = remoteBridgeCommand(false);
    CHECK(user.find("exec systemd-stdio-bridge \"--bus-path=${DBUS_SESSION_BUS_ADDRESS:-unix:"
                    "path=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/bus}\"'") != std::string::npos);
    // One quoted word for the remote shell: no quote inside may end it.
    CHECK(user.find('\'', 7) == user.size() - 1);
}

TEST_CASE("remote bus addresses: ssh running the bridge, every value escaped") {
    SshSettings ssh;
    auto host = parseHostSpec("root@127.0.0.1:2201");
    CHECK(remoteBusAddress(host, true, ssh) ==
          "unixexec:path=ssh,argv0=ssh,argv1=-xT,argv2=-o,argv3=BatchMode%3dyes,argv4=-o,"
          "argv5=ConnectTimeout%3d5,argv6=-p,argv7=2201,argv8=-l,argv9=root,argv10=--,"
          "argv11=127.0.0.1,argv12=" +
              busAddressEscape(remoteBridgeCommand(true)));
    std::string user = remoteBusAddress(host, false, ssh);
    CHECK(user.find("argv12=" + busAddressEscape(remoteBridgeCommand(false))) != std::string::npos);
    CHECK(user.find_first_of(" ;'\"$") == std::string::npos);
    CHECK(remoteBusAddress(parseHostSpec("[::1]"), true, ssh).find("argv7=%3a%3a1,") !=
          std::string::npos);
}

TEST_CASE("machine addresses follow sd-bus's own for -M") {
    CHECK(machineBusAddress("box", true) == "x-machine-unix:machine=box");
    CHECK(machineBusAddress("box", false) ==
          "unixexec:path=systemd-run,argv0=systemd-run,argv1=-Mbox,argv2=-PGq,argv3=--wait,"
          "argv4=-pUser%3droot,argv5=-pPAMName%3dlogin,argv6=systemd-stdio-bridge,"
          "argv7=-punix%3apath%3d%24%7bXDG_RUNTIME_DIR%7d/bus");
    CHECK(machineBusAddress("app@box", true) ==
          "unixexec:path=systemd-run,argv0=systemd-run,argv1=-Mbox,argv2=-PGq,argv3=--wait,"
          "argv4=-pUser%3dapp,argv5=-pPAMName%3dlogin,argv6=systemd-stdio-bridge");
    CHECK_THROWS_AS(machineBusAddress("", true), BadHostSpec);
    CHECK_THROWS_AS(machineBusAddress("app@", false), BadHostSpec);
}

#include "cli/remote_logs.hpp"

TEST_CASE("remote logs: tail -F for a file, journalctl with the local reader's matches") {
    CHECK(shellQuote("it's") == "'it'\\''s'");
    RemoteLogQuery file;
    file.file = "/var/log/my app.log";
    file.lines = 20;
    file.follow = true;
    CHECK(remoteLogCommand(file) == "tail -n 20 -F -- '/var/log/my app.log'");
    RemoteLogQuery journal;
    journal.uid = "web";
    CHECK(remoteLogCommand(journal) ==
          "journalctl --no-pager --quiet --lines=10 --output=short-iso 'SYSLOG_IDENTIFIER=web' "
          "\"_UID=$(id -u)\" + 'FOREVER_UID=web' \"_UID=$(id -u)\"");
    journal.sameUserOnly = false;
    journal.follow = true;
    journal.plain = true;
    CHECK(remoteLogCommand(journal) ==
          "journalctl --no-pager --quiet --lines=10 --follow --output=cat "
          "'SYSLOG_IDENTIFIER=web' + 'FOREVER_UID=web'");
}
