#include "daemon/heap_trimmer.hpp"

#include <malloc.h>

#include <algorithm>

namespace forever {

void HeapTrimmer::added(size_t tableSize) {
    highWater_ = std::max(highWater_, tableSize);
}

void HeapTrimmer::removed(size_t tableSize) {
    if (tableSize > highWater_ / 2 || pending_) {
        return;
    }
    highWater_ = tableSize;
    // By then what the burst of stops still held (drained log pipes,
    // replies) is freed too.
    pending_ = loop_.addTimer(std::chrono::seconds(1), [this] {
        pending_.reset();
        ::malloc_trim(0);
    });
}

}  // namespace forever
