#pragma once
// Names systemd accepts, built from a forever uid (any printable text): the
// escaping of systemd-escape(1) for unit names and of sd_bus_path_encode()
// for object paths. Pure, so the rules are tested without a manager.
#include <string>

namespace forever {

// "api/v1 x" → "api-v1\x20x", as `systemd-escape` does: '/' becomes '-',
// anything but [A-Za-z0-9:_.] (and a leading '.') becomes \xNN.
std::string escapeUnitName(const std::string& text);

// The transient timer (and its service) that restarts NAME at its
// restartAt times: "forever-restart-<escaped NAME>". A name that would make
// it longer than systemd's 255 characters is shortened with a hash suffix.
std::string restartUnitBase(const std::string& name);

}  // namespace forever
