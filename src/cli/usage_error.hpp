#pragma once
#include <stdexcept>

namespace forever::cli {

// A command line (or setting, or config file) the user must fix; printed as
// one line, exit code 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace forever::cli
