#pragma once
// `foreverctl -H HOST logs TARGET [-f]`: journald's reader (sd-journal)
// reads local files and cannot go through the bus bridge, so the log is
// read on the host itself, by `journalctl` or `tail -F` run over the same
// ssh (same user, same ssh config) the bus connection uses.
#include <string>
#include <vector>

#include "cli/remote_address.hpp"

namespace forever::cli {

struct RemoteLogQuery {
    std::string file;  // the app's log file on that host; empty: the journal
    std::string uid;
    unsigned lines = 10;
    bool follow = false;
    bool sameUserOnly = true;  // session mode: only entries of the remote user
    bool json = false;         // journalctl -o json (journald's own fields)
    bool plain = false;        // message only
};

// POSIX shell quoting of one word ('…', with ' as '\'').
std::string shellQuote(const std::string& word);

// The command line the remote shell runs: the same matches as the local
// reader (the app's output and foreverd's lifecycle entries about it).
std::string remoteLogCommand(const RemoteLogQuery& query);

// Runs it through ssh with our stdout/stderr; returns the exit code for
// foreverctl (3 when ssh itself failed, else the remote command's).
int runRemoteLogs(const HostSpec& host, const RemoteLogQuery& query, const SshSettings& ssh);

}  // namespace forever::cli
