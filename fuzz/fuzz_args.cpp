// libFuzzer target: a command line (NUL-separated words) → parseArgs.
// Anything must parse or end in a UsageError.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/args.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> words(1);
    for (size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            words.emplace_back();
        } else {
            words.back().push_back(static_cast<char>(data[i]));
        }
    }
    try {
        forever::cli::parseArgs(words);
    } catch (const forever::cli::UsageError&) {
    }
    return 0;
}
