// libFuzzer target: forever.json text → parseConfig. Any input must end in
// specs or a ConfigError, never a crash, hang or other exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/config_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        forever::cli::parseConfig(text, forever::cli::ConfigFormat::Json, "fuzz.json", "/tmp",
                                  "production");
    } catch (const forever::cli::ConfigError&) {
    }
    return 0;
}
