#pragma once
// `reload GROUP`: Manager.ReloadGroup, with every GroupProgress step of the
// roll handed to `onStep` as it arrives, so a roll of 20 members can be
// watched. The CLI has no loop of its own: the call is made asynchronously
// and the connection polled until its reply.
#include <functional>
#include <string>
#include <vector>

#include "cli/bus_client.hpp"

namespace forever::cli {

using GroupStep =
    std::function<void(const std::string& uid, const std::string& step, const std::string& detail)>;

// The members reloaded; a failed roll throws CliError ("UID: why").
std::vector<std::string> rollGroup(BusClient& client, const std::string& group, unsigned parallel,
                                   const GroupStep& onStep);

// "api-2: the new run exited ..." → "api-2"; empty when not of that form.
std::string failedMember(const std::string& failure);

}  // namespace forever::cli
