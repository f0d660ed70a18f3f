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
    std::vector<size_t> widths(columns, 0);
    for (size_t c = 0; c < columns; ++c) {
        widths[c] = visibleWidth(headers[c]);
        for (const auto& row : rows) {
            if (c < row.size()) {
                widths[c] = std::max(widths[c], visibleWidth(row[c]));
            }
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
    auto line = [&](const std::vector<std::string>& cells, bool header) {
        std::string text;
        for (size_t c = 0; c < columns; ++c) {
            std::string cell = c < cells.size() ? cells[c] : "";
            if (style.plain) {
                text += cell.empty() ? "-" : cell;
            } else {
                cell = truncateVisible(cell, widths[c]);
                if (header) {
                    cell = paint(cell, "\x1b[1m", style.color);
                }
                text += cell;
                if (c + 1 < columns) {
                    text.append(widths[c] - visibleWidth(cell) + gap, ' ');
                }
            }
            if (style.plain && c + 1 < columns) {
                text += ' ';
            }
        }
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        out += text + "\n";
    };
    if (!style.plain) {
        line(headers, true);
    }
    for (const auto& row : rows) {
        line(row, false);
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
