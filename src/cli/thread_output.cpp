#include "cli/thread_output.hpp"

#include <iostream>
#include <mutex>
#include <streambuf>

namespace forever::cli {

namespace {

thread_local std::string* tlsCapture = nullptr;

// Unbuffered on purpose: every write is routed when it happens, by the
// writing thread, so no text of one thread can sit in a buffer another
// thread flushes.
class RoutingBuf : public std::streambuf {
  public:
    explicit RoutingBuf(std::streambuf* real) : real_(real) {}

  protected:
    int_type overflow(int_type c) override {
        if (traits_type::eq_int_type(c, traits_type::eof())) {
            return traits_type::not_eof(c);
        }
        char ch = traits_type::to_char_type(c);
        return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        if (tlsCapture) {
            tlsCapture->append(s, static_cast<size_t>(n));
            return n;
        }
        std::lock_guard lock(mutex_);
        return real_->sputn(s, n);
    }
    int sync() override {
        if (tlsCapture) {
            return 0;
        }
        std::lock_guard lock(mutex_);
        return real_->pubsync();
    }

  private:
    std::streambuf* real_;
    std::mutex mutex_;
};

}  // namespace

void installThreadOutput() {
    static std::once_flag once;
    std::call_once(once, [] {
        static RoutingBuf buf(std::cout.rdbuf());
        std::cout.rdbuf(&buf);
    });
}

CaptureStdout::CaptureStdout(std::string& sink) : previous_(tlsCapture) {
    tlsCapture = &sink;
}

CaptureStdout::~CaptureStdout() {
    tlsCapture = previous_;
}

}  // namespace forever::cli
