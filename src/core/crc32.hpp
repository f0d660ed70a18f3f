#pragma once
// CRC-32 (IEEE 802.3, as zlib and gzip compute it): the integrity check of
// each state-journal record, so a torn or bit-rotted line is recognised.
#include <cstdint>
#include <string_view>

namespace forever {

uint32_t crc32(std::string_view data);

}  // namespace forever
