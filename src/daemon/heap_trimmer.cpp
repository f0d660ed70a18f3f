#include "daemon/heap_trimmer.hpp"

#include <malloc.h>

#include <algorithm>

namespace forever {

void HeapTrimmer::added(size_t tableSize) {
    highWater_ = std::max(highWater_, tableSize);
    // A bulk start leaves holes between the processes' lasting objects where
    // its call's transient data was (the specs of a 1000-app StartMany are
    // megabytes of D-Bus variants): malloc_trim gives their pages back, about
    // 7 KB per app of the ~32 KB a start left. Once the table has grown by
    // half (and at least 64) since the last trim, a second after.
    if (tableSize >= trimmedAt_ + std::max<size_t>(64, trimmedAt_ / 2)) {
        trimmedAt_ = tableSize;
        trimSoon();
    }
}

void HeapTrimmer::removed(size_t tableSize) {
    if (tableSize > highWater_ / 2) {
        return;
    }
    highWater_ = tableSize;
    trimmedAt_ = tableSize;
    // A trim already pending (a start's, moments ago) may come in the middle
    // of this burst of stops, before most of it is freed: this one's trim
    // comes a second after its last halving instead.
    pending_.reset();
    trimSoon();
}

void HeapTrimmer::trimSoon() {
    if (pending_) {
        return;
    }
    // By then what the burst of starts or stops still held (drained log
    // pipes, replies, the call's arguments) is freed too; one trim a burst.
    pending_ = loop_.addTimer(std::chrono::seconds(1), [this] {
        pending_.reset();
        ::malloc_trim(0);
    });
}

}  // namespace forever
