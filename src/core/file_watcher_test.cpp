#include <doctest/doctest.h>

#include "core/file_watcher.hpp"

using forever::isIgnoredPath;
using forever::parseIgnoreFile;

TEST_CASE("node_modules and dot-files are always ignored") {
    CHECK(isIgnoredPath("node_modules/x/index.js", {}));
    CHECK(isIgnoredPath("src/node_modules", {}));
    CHECK(isIgnoredPath(".git/HEAD", {}));
    CHECK(isIgnoredPath("src/.app.js.swp", {}));
    CHECK_FALSE(isIgnoredPath("src/app.js", {}));
    CHECK_FALSE(isIgnoredPath("node_modules_backup.js", {}));
}

TEST_CASE("glob patterns match the path or any component") {
    std::vector<std::string> p{"*.log", "tmp", "build/**"};
    CHECK(isIgnoredPath("server.log", p));
    CHECK(isIgnoredPath("logs/today.log", p));
    CHECK(isIgnoredPath("tmp/cache.js", p));
    CHECK(isIgnoredPath("build", p));
    CHECK(isIgnoredPath("build/out/x.js", p));
    CHECK_FALSE(isIgnoredPath("server.js", p));
    CHECK_FALSE(isIgnoredPath("builder/x.js", p));
}

TEST_CASE(".foreverignore: one pattern a line, comments and blanks skipped") {
    auto p = parseIgnoreFile("# logs\n*.log\n\n  tmp/**  \r\n#x\ndata\n");
    CHECK(p == std::vector<std::string>{"*.log", "tmp/**", "data"});
}
