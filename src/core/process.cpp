#include "core/process.hpp"

#include "core/file_watcher.hpp"
#include "core/http_probe.hpp"
#include "core/notify_socket.hpp"
#include "core/output_capture.hpp"

namespace forever {

std::string toString(ProcState state) {
    switch (state) {
        case ProcState::Starting:
            return "starting";
        case ProcState::Running:
            return "running";
        case ProcState::Stopping:
            return "stopping";
        case ProcState::Restarting:
            return "restarting";
        case ProcState::Reloading:
            return "reloading";
        case ProcState::Waiting:
            return "waiting";
        case ProcState::CrashLooping:
            return "crash-looping";
        case ProcState::Exited:
            return "exited";
        case ProcState::Failed:
            return "failed";
        case ProcState::Stopped:
            return "stopped";
    }
    return "unknown";
}

// Out of line, where the members' types are complete (the header only
// forward-declares them).
Run::Run() = default;
Run::Run(Run&&) noexcept = default;
Run& Run::operator=(Run&&) noexcept = default;
Run::~Run() = default;
Process::Process() = default;
Process::~Process() = default;

}  // namespace forever
