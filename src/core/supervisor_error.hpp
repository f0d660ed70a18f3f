#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace forever {

// Errors a caller can act on, typed so the D-Bus layer names them.
class SupervisorError : public std::runtime_error {
  public:
    enum class Code { NotFound, InvalidArgument, AlreadyExists, SpawnFailed, Busy };
    SupervisorError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
    Code code() const { return code_; }

  private:
    Code code_;
};

struct SupervisorOptions {
    // Where output goes when no log file is given and journald is absent.
    std::filesystem::path defaultLogDir;
    // Whether children's output goes to journald by default.
    bool journal = true;
    // Set as FOREVER_SUPERVISOR in every child's environment: the same for
    // a foreverd and its successors (the daemon uses its state directory),
    // different between independent ones. sweepUnrecorded() finds by it the
    // children a kill -9'd predecessor spawned but had not yet recorded.
    std::string lineage;
};

}  // namespace forever
