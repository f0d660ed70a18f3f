#pragma once
// Text output for people: the list table, durations, sizes, colour. Pure
// functions of their inputs (width and colour are parameters) so the layout
// is unit-tested.
#include <cstdint>
#include <string>
#include <vector>

namespace forever::cli {

struct TableStyle {
    bool color = false;
    bool plain = false;  // no header rule, single spaces: for grep/awk
    size_t width = 0;    // terminal columns; 0 = unlimited
};

// Columns are sized to their widest cell (escape codes do not count). When
// the table is wider than `width`, the widest columns are cut with "…"
// from the longest down, so every column stays visible.
std::string renderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows, const TableStyle& style);

size_t visibleWidth(const std::string& text);

// forever's uptime form, days:hours:minutes:seconds.millis ("0:0:1:2.345").
std::string formatUptime(int64_t millis);
// "12.3 MB" style, powers of 1024 with the usual short names.
std::string formatBytes(uint64_t bytes);

// The colour (ANSI) for a state name: running green, restarting/waiting
// yellow, crash-looping/failed red, stopped/exited dim.
std::string colorState(const std::string& state, bool color);
std::string paint(const std::string& text, const char* ansi, bool color);

// Colour only on a terminal, never with NO_COLOR or --plain/--no-color,
// always with --colors (unless --no-color is also given).
bool useColor(bool isTty, bool noColorEnv, bool plain, bool noColor, bool force);

}  // namespace forever::cli
