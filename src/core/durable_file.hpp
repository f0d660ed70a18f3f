#pragma once
// Writes that survive a crash or a power loss: the data is on disk before
// the name points at it (fsync before rename, then the directory's fsync).
#include <filesystem>
#include <functional>
#include <string_view>
#include <system_error>

namespace forever {

// write() until all of `data` is written (retrying EINTR and short writes).
std::error_code writeAll(int fd, std::string_view data);
// Replaces `file` with `text`, owner-only: <file>.tmp, fsync, rename, fsync
// of the directory. On failure `file` is untouched and the tmp removed.
std::error_code replaceFileDurably(const std::filesystem::path& file, std::string_view text);
// The same, the content written by `fill` to the tmp's descriptor in as many
// writes as it likes: for a file too big to be built in memory first. An
// error from `fill` fails the replacement as a failed write would.
std::error_code replaceFileDurably(const std::filesystem::path& file,
                                   const std::function<std::error_code(int fd)>& fill);
// Creates `dir` (owner-only: it holds command lines and environments).
std::error_code makePrivateDir(const std::filesystem::path& dir);

}  // namespace forever
