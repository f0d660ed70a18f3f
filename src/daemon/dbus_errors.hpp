#pragma once

#include <sdbus-c++/Error.h>

#include <exception>
#include <string>

namespace forever::dbus_errors {

// Every error foreverd replies with has one of these names.
inline const std::string kNotFound = "org.forever.Forever1.Error.NotFound";
inline const std::string kInvalidArgument = "org.forever.Forever1.Error.InvalidArgument";
inline const std::string kAlreadyExists = "org.forever.Forever1.Error.AlreadyExists";
inline const std::string kSpawnFailed = "org.forever.Forever1.Error.SpawnFailed";
inline const std::string kBusy = "org.forever.Forever1.Error.Busy";
inline const std::string kFailed = "org.forever.Forever1.Error.Failed";
inline const std::string kAccessDenied = "org.forever.Forever1.Error.AccessDenied";

// The error reply for whatever a handler threw. sdbus-c++ 1.2 turns only
// sdbus::Error into a reply; anything else escaping a handler wedges the
// connection for good, so every handler goes through this.
sdbus::Error toDbusError(std::exception_ptr error);

// Runs `body`, rethrowing any exception as a named sdbus::Error.
template <typename Body>
auto guarded(Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (...) {
        throw toDbusError(std::current_exception());
    }
}

}  // namespace forever::dbus_errors
