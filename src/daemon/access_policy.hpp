#pragma once
// Who may do what. On the session bus the bus itself admits only its user,
// so everything is allowed. On the system bus (foreverd --system, as root)
// every caller is identified by the uid the bus daemon vouches for: a
// process runs as the user who started it, and only that user or root may
// stop, restart or signal it.
#include <sys/types.h>

#include <sdbus-c++/IObject.h>
#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "daemon/bus_fallback.hpp"

namespace forever {

class AccessPolicy {
  public:
    explicit AccessPolicy(bool systemMode) : systemMode_(systemMode) {}

    bool systemMode() const { return systemMode_; }

    // Throws org.forever.Forever1.Error.AccessDenied unless the caller of
    // the method `object` is handling may control `process`.
    void checkMayControl(const sdbus::IObject& object, const Process& process) const;
    bool mayControl(const sdbus::IObject& object, const Process& process) const;
    // The same for a spec not spawned yet (queued in a bulk start).
    bool mayControl(const sdbus::IObject& object, const ProcessSpec& spec) const;
    // The same for a call to a process object (raw sd-bus, bus_fallback.hpp).
    void checkMayControl(const bus::Call& call, const Process& process) const;
    // Root on the system bus, anyone on the session bus.
    bool privileged(const sdbus::IObject& object) const;

    // Stamps the owner on a Start() spec and refuses what would let a user
    // act with foreverd's privileges (files it opens, commands it runs).
    void prepareStart(const sdbus::IObject& object, nlohmann::json& spec) const;

  private:
    uid_t callerUid(const sdbus::IObject& object) const;
    static bool owns(uid_t caller, const Process& process);
    static bool owns(uid_t caller, const ProcessSpec& spec);
    static void refuse(const Process& process);

    bool systemMode_;
};

}  // namespace forever
