#pragma once
// A fresh directory for one test, removed afterwards whatever happens (even
// when the test left it read-only).
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace forever::test {

struct TempDir {
    std::filesystem::path path;

    explicit TempDir(const std::string& name = "forever-test") {
        std::string templ = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // A path inside, as the string the APIs under test take.
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// The whole content of a file the code under test wrote ("" if none).
inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace forever::test
