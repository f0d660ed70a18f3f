#include "daemon/heap_trimmer.hpp"

#include <malloc.h>

#include <algorithm>

namespace forever {

void HeapTrimmer::added(size_t tableSize) {
    lastChange_ = loop_.now();
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
    lastChange_ = loop_.now();
    if (tableSize > highWater_ / 2) {
        return;
    }
    highWater_ = tableSize;
    trimmedAt_ = tableSize;
    trimSoon();
}

void HeapTrimmer::trimSoon() {
    if (pending_) {
        return;
    }
    // A second after the burst of starts or stops is over (not after the
    // change that asked for it): what the burst still held (drained log
    // pipes, replies, a StartMany's arguments, freed when the call ends) is
    // freed by then; trimmed earlier, it stayed (9 or 14 KB per app after a
    // 10 000-app start, by chance). One trim a burst.
    const auto quiet = std::chrono::seconds(1);
    const auto since = loop_.now() - lastChange_;
    pending_ = loop_.addTimer(
        since >= quiet ? quiet : std::chrono::duration_cast<Millis>(quiet - since), [this, quiet] {
            pending_.reset();
            if (loop_.now() - lastChange_ < quiet || (holding_ && holding_())) {
                trimSoon();
                return;
            }
            ::malloc_trim(0);
        });
}

}  // namespace forever
