#pragma once
// A disk that fills up, for one test: RLIMIT_FSIZE makes every write past
// `maxBytes` fail with EFBIG (SIGXFSZ ignored), for the whole process, until
// the object goes away.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <csignal>

namespace forever::test {

class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t maxBytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
        previousHandler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = old_;
        limited.rlim_cur = maxBytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, previousHandler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

  private:
    rlimit old_{};
    void (*previousHandler_)(int) = nullptr;
};

}  // namespace forever::test
