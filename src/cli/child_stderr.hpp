#pragma once

#include <string>

namespace forever::cli {

// Gives the children this thread forks, while armed, a private stderr (a
// memfd) instead of the terminal, and reads what they wrote.
//
// Why: for `-H`, sd-bus forks ssh inside sdbus-c++'s connection
// constructor, and ssh (plus the remote bridge) report failures on stderr.
// Left alone they would print their own lines beside ours, interleaved
// across hosts in a fleet command. fd 2 cannot be swapped around the call:
// other threads are printing. A pthread_atfork child handler runs in the
// new child only, and sees the forking thread's thread-locals, so it can
// dup2 this thread's memfd onto fd 2 there.
class ChildStderr {
  public:
    ChildStderr();
    ~ChildStderr();
    ChildStderr(const ChildStderr&) = delete;
    ChildStderr& operator=(const ChildStderr&) = delete;

    // While an Armed object lives, fork()s of this thread redirect the
    // child's stderr.
    class Armed {
      public:
        explicit Armed(const ChildStderr& capture);
        ~Armed();
        Armed(const Armed&) = delete;
        Armed& operator=(const Armed&) = delete;

      private:
        int previous_;
    };

    // The last non-empty line written so far ("" if none).
    std::string lastLine() const;

  private:
    int fd_ = -1;
};

}  // namespace forever::cli
