#pragma once
// Per-thread capture of std::cout, so an action written for one host
// (printing straight to std::cout) can run for many hosts at once: each
// host's thread collects its own text, printed as one block when that host
// has answered.
#include <string>

namespace forever::cli {

// Routes std::cout through a buffer that sends a thread's writes to its
// capture string (if it has one) and everything else to the real stdout.
// Call once, before any thread starts; idempotent.
void installThreadOutput();

// While it lives, this thread's std::cout writes are appended to `sink`.
class CaptureStdout {
  public:
    explicit CaptureStdout(std::string& sink);
    ~CaptureStdout();
    CaptureStdout(const CaptureStdout&) = delete;
    CaptureStdout& operator=(const CaptureStdout&) = delete;

  private:
    std::string* previous_;
};

}  // namespace forever::cli
