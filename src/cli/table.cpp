#include "cli/table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace forever::cli {

namespace {

bool isContinuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// Cuts to `width` visible characters, keeping escape codes whole and
// resetting colour if any was cut off.
std::string truncateVisible(const std::string& text, size_t width) {
    if (visibleWidth(text) <= width) {
        return text;
    }
    std::string out;
    size_t seen = 0;
    bool colored = false;
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '\x1b') {
            size_t end = text.find('m', i);
            end = end == std::string::npos ? text.size() : end + 1;
            out.append(text, i, end - i);
            colored = true;
            i = end;
            continue;
        }
        if (!isContinuation(static_cast<unsigned char>(text[i]))) {
            if (seen + 1 >= width) {
                break;
            }
            ++seen;
        }
        out.push_back(text[i]);
        ++i;
    }
    out += "…";
    if (colored) {
        out += "\x1b[0m";
    }
    return out;
}

}  // namespace

size_t visibleWidth(const std::string& text) {
    size_t n = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b') {
            size_t end = text.find('m', i);
            if (end == std::string::npos) {
                break;
            }
            i = end;
            continue;
        }
        if (!isContinuation(static_cast<unsigned char>(text[i]))) {
            ++n;
        }
    }
    return n;
}

std::string renderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows,
                        const TableStyle& style) {
    const size_t columns = headers.size();
    const size_t gap = style.plain ? 1 : 2;
    // Every cell's width, measured once: the column widths and each cell's
    // padding need it (at 10 000 rows, measuring three times per cell was
    // a tenth of `list`).
    std::vector<size_t> cellWidths((rows.size() + 1) * columns, 0);
    auto cellWidth = [&](size_t row, size_t c) -> size_t& { return cellWidths[row * columns + c]; };
    std::vector<size_t> widths(columns, 0);
    for (size_t c = 0; c < columns; ++c) {
        widths[c] = cellWidth(0, c) = visibleWidth(headers[c]);
    }
    for (size_t r = 0; r < rows.size(); ++r) {
        for (size_t c = 0; c < columns && c < rows[r].size(); ++c) {
            cellWidth(r + 1, c) = visibleWidth(rows[r][c]);
            widths[c] = std::max(widths[c], cellWidth(r + 1, c));
        }
    }
    if (style.width > 0 && !style.plain) {
        auto total = [&] {
            size_t t = 0;
            for (auto w : widths)
                t += w;
            return t + gap * (columns - 1);
        };
        // Shrink the widest column one step at a time; never below 4 so a
        // cut cell still says something.
        while (total() > style.width) {
            auto widest = std::max_element(widths.begin(), widths.end());
            if (*widest <= 4) {
                break;
            }
            --*widest;
        }
    }
    std::string out;
    const std::string none;
    auto line = [&](const std::vector<std::string>& cells, size_t row) {
        for (size_t c = 0; c < columns; ++c) {
            const std::string& cell = c < cells.size() ? cells[c] : none;
            if (style.plain) {
                out += cell.empty() ? "-" : cell;
                if (c + 1 < columns) {
                    out += ' ';
                }
                continue;
            }
            size_t shown = cellWidth(row, c);
            auto add = [&](const std::string& text) {
                if (row == 0 && style.color) {
                    out += paint(text, "\x1b[1m", true);
                } else {
                    out += text;
                }
            };
            if (shown > widths[c]) {
                std::string cut = truncateVisible(cell, widths[c]);
                shown = visibleWidth(cut);
                add(cut);
            } else {
                add(cell);
            }
            if (c + 1 < columns) {
                out.append(widths[c] - shown + gap, ' ');
            }
        }
        // No trailing blanks (the line's start is after the last newline).
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        out += '\n';
    };
    if (!style.plain) {
        line(headers, 0);
    }
    for (size_t r = 0; r < rows.size(); ++r) {
        line(rows[r], r + 1);
    }
    return out;
}

std::string formatUptime(int64_t millis) {
    if (millis < 0) {
        millis = 0;
    }
    int64_t ms = millis % 1000;
    int64_t s = millis / 1000;
    return fmt::format("{}:{}:{}:{}.{:03}", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60, ms);
}

std::string formatBytes(uint64_t bytes) {
    static const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    if (unit == 0) {
        return fmt::format("{} B", bytes);
    }
    return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string paint(const std::string& text, const char* ansi, bool color) {
    if (!color) {
        return text;
    }
    return std::string(ansi) + text + "\x1b[0m";
}

std::string colorState(const std::string& state, bool color) {
    if (state == "running")
        return paint(state, "\x1b[32m", color);
    if (state == "restarting" || state == "waiting" || state == "stopping")
        return paint(state, "\x1b[33m", color);
    if (state == "crash-looping" || state == "failed")
        return paint(state, "\x1b[1;31m", color);
    return paint(state, "\x1b[2m", color);
}

bool useColor(bool isTty, bool noColorEnv, bool plain, bool noColor, bool force) {
    if (plain || noColor) {
        return false;
    }
    if (force) {
        return true;
    }
    return isTty && !noColorEnv;
}

}  // namespace forever::cli
