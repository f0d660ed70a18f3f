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
};

}  // namespace forever
