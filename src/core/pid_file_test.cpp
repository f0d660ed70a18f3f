#include "core/pid_file.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "testing/fake_event_loop.hpp"
#include "testing/temp_dir.hpp"

using namespace forever;
using forever::test::FakeEventLoop;
using forever::test::slurp;
using forever::test::TempDir;

TEST_CASE("pid files are written as blocking work, in its directory made on the way") {
    TempDir dir;
    FakeEventLoop loop;
    PidFiles files(loop);
    std::string path = dir / "run/app.pid";
    files.write(path, 1234);
    CHECK_FALSE(std::filesystem::exists(path));
    loop.completeAllBlocking();
    CHECK(slurp(path) == "1234\n");
    CHECK(files.busy() == 0);
}

TEST_CASE("per path one job at a time, and the last wish wins") {
    TempDir dir;
    FakeEventLoop loop;
    PidFiles files(loop);
    std::string path = dir / "app.pid";
    files.write(path, 1);  // in flight
    files.remove(path);    // replaced by the next wish
    files.write(path, 2);
    CHECK(loop.pendingBlocking() == 1);
    CHECK(loop.completeAllBlocking() == 2);
    CHECK(slurp(path) == "2\n");
    files.remove(path);
    loop.completeAllBlocking();
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a pid file that cannot be written is said, with its path") {
    TempDir dir;
    FakeEventLoop loop;
    std::vector<std::string> said;
    PidFiles files(loop, [&](const std::string& m) { said.push_back(m); });
    std::filesystem::create_directory(dir / "taken");
    files.write(dir / "taken", 7);
    loop.completeAllBlocking();
    REQUIRE(said.size() == 1);
    CHECK(said[0] == "pid file " + (dir / "taken") + ": cannot write it: Is a directory");
}
