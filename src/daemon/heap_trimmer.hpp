#pragma once

#include <cstddef>
#include <functional>

#include "core/event_loop.hpp"

namespace forever {

// glibc keeps the heap that 1000 apps grew after they are gone (foreverd
// stayed at 34 MB after stopall, 6 MB idle), and the holes a bulk start's
// transient data left between the apps' objects; this gives them back once
// the table has halved since it was last this large, or grown by half since
// the last trim, and a second later, so a whole stopall or bulk start ends
// in one malloc_trim, not 1000.
class HeapTrimmer {
  public:
    // `holding` says whether the burst is still holding memory it will free
    // on its own (signals the bus daemon has yet to read): the trim waits.
    HeapTrimmer(EventLoop& loop, std::function<bool()> holding)
        : loop_(loop), holding_(std::move(holding)) {}

    // The table grew to `tableSize` processes.
    void added(size_t tableSize);
    // The table is shrinking to `tableSize` processes.
    void removed(size_t tableSize);

  private:
    void trimSoon();

    EventLoop& loop_;
    std::function<bool()> holding_;
    size_t highWater_ = 0;
    size_t trimmedAt_ = 0;  // the table's size at the last trim
    std::chrono::steady_clock::time_point lastChange_{};
    EventLoop::HandlePtr pending_;
};

}  // namespace forever
