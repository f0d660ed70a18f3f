// foreverctl's heap in transparent huge pages, where the kernel gives them
// on request (transparent_hugepage=madvise, the usual default). A `list`
// of 10 000 apps touches ~14 MB of heap for the reply, its rows and the
// table: ~3 500 page faults, which in a VM cost ~10 us each, half of the
// command's CPU (70 -> 35 ms measured with glibc's own switch for this,
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which a program cannot set for
// itself). So the heap is grown once, ahead, and the new part advised;
// big buffers stay in it rather than being mapped and unmapped each time.
// A small command touches too little of it to fault a huge page.
#include "cli/heap_pages.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace forever::cli {

void preferHugeHeapPages() {
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
    ::mallopt(M_TOP_PAD, 64 << 20);
    const auto before = reinterpret_cast<uintptr_t>(::sbrk(0));
    void* block = std::malloc(1 << 20);  // more than the heap has left: it grows
    const auto after = reinterpret_cast<uintptr_t>(::sbrk(0));
    const auto at = reinterpret_cast<uintptr_t>(block);
    // Only when the block came from the heap, which grew (not, say, from a
    // sanitizer's own allocator). It begins in the heap's old top, below
    // `before`.
    if (block && after > before && at < after && at + (1 << 20) <= after &&
        after - at < (1u << 30)) {
        const uintptr_t start = (at + kHuge - 1) & ~(kHuge - 1);
        if (after > start) {
            ::madvise(reinterpret_cast<void*>(start), after - start, MADV_HUGEPAGE);
        }
    }
    std::free(block);
    ::mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again
}

}  // namespace forever::cli
