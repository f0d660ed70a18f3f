// How long a batch of state changes takes to reach the disk, for the three
// ways the table could be kept (issue 19): the journal (what foreverd uses),
// one file per process written then synced with one syncfs() (s6's way), and
// the old whole-table rewrite. Run by bench/ on the machine being measured:
//   build/src/core/state_journal_perftest [DIR]
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/durable_file.hpp"
#include "core/state_journal.hpp"
#include "core/state_store.hpp"
#include "core/unique_fd.hpp"

using namespace forever;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A record the size of a real one (a spec with a short env, its run state).
std::string record(int i) {
    return fmt::format(
        R"({{"spec":{{"uid":"app{}","script":"/srv/apps/app{}/index.js","args":["--port","{}"],)"
        R"("env":{{"NODE_ENV":"production","PATH":"/usr/local/bin:/usr/bin:/bin"}},)"
        R"("restart":"always","max":-1}},"state":"running","restarts":0,"pid":{},)"
        R"("pidStartTime":{}}})",
        i, i, 3000 + i, 10000 + i, 123456 + i);
}

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double journal(const fs::path& dir, int changes, int perBatch) {
    fs::remove_all(dir);
    StateJournal j(dir);
    j.open();
    auto start = Clock::now();
    for (int done = 0; done < changes;) {
        std::vector<JournalChange> batch;
        for (int k = 0; k < perBatch && done < changes; ++k, ++done) {
            batch.push_back({"app" + std::to_string(done), record(done)});
        }
        if (auto ec = j.append(batch)) {
            fmt::print(stderr, "journal: {}\n", ec.message());
        }
    }
    return msSince(start);
}

// A compaction (what the journal costs once it has grown past twice its
// live records): the time to rewrite a table of `table` records, `rounds`
// times, the records read back from the file.
double compaction(const fs::path& dir, int table, int rounds) {
    fs::remove_all(dir);
    StateJournal j(dir);
    j.open();
    std::vector<JournalChange> batch;
    for (int i = 0; i < table; ++i) {
        batch.push_back({"app" + std::to_string(i), record(i)});
    }
    if (auto ec = j.append(batch)) {
        fmt::print(stderr, "journal: {}\n", ec.message());
    }
    auto start = Clock::now();
    for (int i = 0; i < rounds; ++i) {
        if (auto ec = j.compact()) {
            fmt::print(stderr, "compaction: {}\n", ec.message());
        }
    }
    return msSince(start) / rounds;
}

// One file per process: every tmp written, one syncfs() (the data before
// any rename), the renames, a second syncfs() (the renames themselves).
double filePerProcess(const fs::path& dir, int changes) {
    fs::remove_all(dir);
    makePrivateDir(dir);
    auto start = Clock::now();
    for (int i = 0; i < changes; ++i) {
        auto tmp = dir / fmt::format("app{}.tmp", i);
        UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        writeAll(fd.get(), record(i));
    }
    UniqueFd dirFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ::syncfs(dirFd.get());
    for (int i = 0; i < changes; ++i) {
        auto name = dir / fmt::format("app{}", i);
        ::rename((name.string() + ".tmp").c_str(), name.c_str());
    }
    ::syncfs(dirFd.get());
    return msSince(start);
}

// The old way: every change rewrites the table of `table` processes.
double wholeTable(const fs::path& dir, int table, int changes) {
    fs::remove_all(dir);
    std::string all = "[";
    for (int i = 0; i < table; ++i) {
        all += (i ? "," : "") + record(i);
    }
    all += "]";
    StateStore store(dir);
    auto start = Clock::now();
    for (int i = 0; i < changes; ++i) {
        store.saveRendered(all);
    }
    return msSince(start);
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "forever-perf";
    for (int n : {1000, 10000}) {
        fmt::print("journal, {} changes in one batch: {:.1f} ms\n", n, journal(dir, n, n));
        fmt::print("file per process, {} changes, 2 syncfs: {:.1f} ms\n", n,
                   filePerProcess(dir, n));
    }
    fmt::print("journal, 100 changes one batch each (one fdatasync each): {:.1f} ms\n",
               journal(dir, 100, 1));
    for (int n : {1000, 10000}) {
        fmt::print("journal, compaction of {} records: {:.1f} ms\n", n, compaction(dir, n, 10));
    }
    fmt::print("whole table of 1000 rewritten, 100 changes: {:.1f} ms\n",
               wholeTable(dir, 1000, 100));
    fs::remove_all(dir);
    return 0;
}
