#include "core/state_store.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <fstream>

#include "core/unique_fd.hpp"

namespace forever {

namespace {

std::error_code lastError() {
    return {errno, std::generic_category()};
}

std::error_code writeAll(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return lastError();
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace

StateStore::StateStore(std::filesystem::path dir)
    : dir_(std::move(dir)), file_(dir_ / "processes.json") {}

std::error_code StateStore::save(const nlohmann::json& processes) const {
    return saveRendered(processes.dump(2));
}

std::error_code StateStore::saveRendered(const std::string& processesArray) const {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        return ec;
    }
    // The table holds command lines and environments: owner only.
    ::chmod(dir_.c_str(), 0700);
    const std::string text = "{\"version\": 1, \"processes\": " + processesArray + "}\n";
    const auto tmp = dir_ / "processes.json.tmp";
    auto writeTmp = [&]() -> std::error_code {
        UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd) {
            return lastError();
        }
        if (auto werr = writeAll(fd.get(), text)) {
            return werr;
        }
        if (::fsync(fd.get()) != 0) {
            return lastError();
        }
        if (::rename(tmp.c_str(), file_.c_str()) != 0) {
            return lastError();
        }
        return {};
    };
    if (auto werr = writeTmp()) {
        // processes.json is untouched; a half-written tmp would only hold
        // on to the space (ENOSPC) the next attempt needs.
        ::unlink(tmp.c_str());
        return werr;
    }
    UniqueFd dirFd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dirFd) {
        ::fsync(dirFd.get());
    }
    return {};
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
