#pragma once
// foreverd's own CPU, memory and start time, read from /proc by its pid
// (for the forever_supervisor_* metrics). Missing figures stay empty.
#include <sys/types.h>

#include "web/prometheus_text.hpp"

namespace forever::web {

void readSupervisorFigures(pid_t pid, SupervisorFigures& out);

}  // namespace forever::web
