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

    // Writes {"version":1,"processes":[...]} via tmp + fsync + rename + dir fsync.
    std::error_code save(const nlohmann::json& processes) const;
    // The same, with the processes already rendered as a JSON array.
    std::error_code saveRendered(const std::string& processesArray) const;

    // A corrupt file is renamed to processes.json.corrupt-<unix time> and
    // reported in `error`, never silently dropped.
    LoadedState load() const;

  private:
    std::filesystem::path dir_;
    std::filesystem::path file_;
};

}  // namespace forever
