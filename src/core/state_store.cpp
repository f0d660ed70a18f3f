#include "core/state_store.hpp"

#include <fmt/core.h>

#include <ctime>
#include <fstream>

#include "core/durable_file.hpp"

namespace forever {

StateStore::StateStore(std::filesystem::path dir)
    : dir_(std::move(dir)), file_(dir_ / "processes.json") {}

std::error_code StateStore::save(const nlohmann::json& processes) const {
    return saveRendered(processes.dump(2));
}

std::error_code StateStore::saveRendered(const std::string& processesArray) const {
    if (auto ec = makePrivateDir(dir_)) {
        return ec;
    }
    return replaceFileDurably(file_, "{\"version\": 1, \"processes\": " + processesArray + "}\n");
}

LoadedState StateStore::load() const {
    LoadedState out;
    std::ifstream in(file_);
    if (!in) {
        return out;  // first run: nothing saved yet
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string problem;
    try {
        auto doc = nlohmann::json::parse(text);
        if (!doc.is_object() || !doc.contains("processes") || !doc["processes"].is_array()) {
            problem = "no 'processes' list";
        } else if (doc.value("version", 0) != 1) {
            problem = fmt::format("unknown version {}", doc.value("version", 0));
        } else {
            out.processes = doc["processes"];
            return out;
        }
    } catch (const nlohmann::json::parse_error& e) {
        problem = e.what();
    }
    const auto aside =
        file_.string() + ".corrupt-" + std::to_string(static_cast<long long>(std::time(nullptr)));
    std::error_code ec;
    std::filesystem::rename(file_, aside, ec);
    out.error = fmt::format("state file {} is unreadable ({}); kept as {}{}", file_.string(),
                            problem, aside, ec ? " (rename failed: " + ec.message() + ")" : "");
    return out;
}

}  // namespace forever
