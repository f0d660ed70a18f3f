#pragma once
// One function per foreverctl action. Each prints its result (text or
// --json) to stdout and throws CliError on failure; main() turns that into
// one line on stderr and an exit code.
#include "cli/args.hpp"

namespace forever::cli {

struct Output {
    bool json = false;
    bool color = false;
    bool plain = false;
    size_t width = 0;
};

int runAction(const Invocation& inv, const Output& out);

}  // namespace forever::cli
