#include "daemon/access_policy.hpp"

#include <fmt/format.h>

#include <sdbus-c++/Message.h>

#include "daemon/dbus_errors.hpp"

namespace forever {

uid_t AccessPolicy::callerUid(const sdbus::IObject& object) const {
    const sdbus::Message* message = object.getCurrentlyProcessedMessage();
    if (!message) {
        throw sdbus::Error(dbus_errors::kAccessDenied, "cannot identify the caller");
    }
    // The uid the bus daemon vouches for, as the process objects ask it
    // (not sdbus-c++'s getCredsUid, which reads the real uid from /proc by
    // the sender's pid).
    return bus::Call(bus::rawMessage(*message)).senderUid();
}

bool AccessPolicy::mayControl(const sdbus::IObject& object, const Process& process) const {
    if (!systemMode_) {
        return true;
    }
    return owns(callerUid(object), process);
}

bool AccessPolicy::mayControl(const sdbus::IObject& object, const ProcessSpec& spec) const {
    return !systemMode_ || owns(callerUid(object), spec);
}

bool AccessPolicy::owns(uid_t caller, const Process& process) {
    return owns(caller, process.spec);
}

bool AccessPolicy::owns(uid_t caller, const ProcessSpec& spec) {
    return caller == 0 || (spec.runAsUid >= 0 && static_cast<uid_t>(spec.runAsUid) == caller);
}

void AccessPolicy::refuse(const Process& process) {
    throw sdbus::Error(dbus_errors::kAccessDenied,
                       fmt::format("'{}' belongs to another user", process.spec.uid));
}

bool AccessPolicy::privileged(const sdbus::IObject& object) const {
    return !systemMode_ || callerUid(object) == 0;
}

void AccessPolicy::checkMayControl(const sdbus::IObject& object, const Process& process) const {
    if (!mayControl(object, process)) {
        refuse(process);
    }
}

void AccessPolicy::checkMayControl(const bus::Call& call, const Process& process) const {
    if (systemMode_ && !owns(call.senderUid(), process)) {
        refuse(process);
    }
}

void AccessPolicy::prepareStart(const sdbus::IObject& object, nlohmann::json& spec) const {
    if (spec.contains("runAsUid")) {
        throw sdbus::Error(dbus_errors::kInvalidArgument, "'runAsUid' is set by foreverd");
    }
    if (!systemMode_) {
        return;
    }
    uid_t caller = callerUid(object);
    spec["runAsUid"] = static_cast<int64_t>(caller);
    if (caller == 0) {
        return;
    }
    // foreverd (root) opens log and pid files and runs alert commands: a
    // user could otherwise write over any file or run anything as root.
    for (const char* key : {"logFile", "outFile", "errFile", "pidFile", "alertCommand"}) {
        if (spec.contains(key) &&
            !(spec[key].is_string() && spec[key].get<std::string>().empty())) {
            throw sdbus::Error(
                dbus_errors::kAccessDenied,
                fmt::format("'{}' is only for root on the system bus; output goes to the journal",
                            key));
        }
    }
}

}  // namespace forever
