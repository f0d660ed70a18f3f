#pragma once

#include <cstddef>

#include "core/event_loop.hpp"

namespace forever {

// glibc keeps the heap that 1000 apps grew after they are gone (foreverd
// stayed at 34 MB after stopall, 6 MB idle); this gives it back once the
// table has halved since it was last this large, and a second later, so a
// whole stopall ends in one malloc_trim, not 1000.
class HeapTrimmer {
  public:
    explicit HeapTrimmer(EventLoop& loop) : loop_(loop) {}

    // The table grew to `tableSize` processes.
    void added(size_t tableSize);
    // The table is shrinking to `tableSize` processes.
    void removed(size_t tableSize);

  private:
    EventLoop& loop_;
    size_t highWater_ = 0;
    EventLoop::HandlePtr pending_;
};

}  // namespace forever
