#pragma once

namespace forever::cli {

// Asks for the heap's growth to come in huge pages (see heap_pages.cpp);
// call once, first thing in main.
void preferHugeHeapPages();

}  // namespace forever::cli
