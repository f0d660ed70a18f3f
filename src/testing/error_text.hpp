#pragma once
// The message of the exception of type E that f throws, or "no error": so a
// test checks what the user reads, and a call that does not throw fails
// the CHECK instead of the test binary.
#include <functional>
#include <string>

namespace forever::testing {

template <typename E>
std::string errorText(const std::function<void()>& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace forever::testing
