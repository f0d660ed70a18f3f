#pragma once
// The process table on disk, so a new foreverd brings every app back. Only
// specs and identities are kept (pids just to stop orphans of a killed
// daemon); writes are atomic so a crash mid-write never loses the table.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

namespace forever {

struct LoadedState {
    nlohmann::json processes;  // null when there is nothing to restore
    std::string error;         // set when the file was unreadable and kept aside
};

class StateStore {
  public:
    explicit StateStore(std::filesystem::path dir);

    const std::filesystem::path& file() const { return file_; }

    // Every save is atomic (tmp + rename): a reader or a successor of a
    // killed foreverd sees the old file or the new one, never a mix.
    // Durable also fsyncs the file and the directory, so the save survives
    // a power loss; Cached leaves that to the page cache, which survives
    // anything but the machine going down. Pids and restart counts change
    // on every restart and mean nothing after a reboot: they go Cached,
    // which keeps a ~1.5 ms fsync off the path from a crash to its restart.
    enum class Durability { Durable, Cached };

    // Writes {"version":1,"processes":[...]}.
    std::error_code save(const nlohmann::json& processes,
                         Durability durability = Durability::Durable) const;
    // The same, with the processes already rendered as a JSON array.
    std::error_code saveRendered(const std::string& processesArray,
                                 Durability durability = Durability::Durable) const;

    // A corrupt file is renamed to processes.json.corrupt-<unix time> and
    // reported in `error`, never silently dropped.
    LoadedState load() const;

  private:
    std::filesystem::path dir_;
    std::filesystem::path file_;
};

}  // namespace forever
