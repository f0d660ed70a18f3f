#pragma once
// glibc 2.36 (Debian 12) ships <sys/pidfd.h> without __BEGIN_DECLS, so C++
// would look for mangled names; declare the C linkage ourselves.
#include <signal.h>
extern "C" {
#include <sys/pidfd.h>
}
