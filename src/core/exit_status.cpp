#include "core/exit_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <csignal>
#include <string_view>
#include <utility>

namespace forever {

namespace {
constexpr std::array<std::pair<int, std::string_view>, 31> kSignals{{
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},     {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"}, {SIGSTKFLT, "SIGSTKFLT"},
    {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},
    {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"}, {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},     {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
}};
}  // namespace

bool ExitStatus::isClean() const {
    if (signal == 0) {
        return code == 0;
    }
    return signal == SIGHUP || signal == SIGINT || signal == SIGTERM || signal == SIGPIPE;
}

std::string ExitStatus::describe() const {
    if (signal != 0) {
        return "signal " + signalName(signal);
    }
    return fmt::format("exit code {}", code);
}

std::string signalName(int signal) {
    for (const auto& [number, name] : kSignals) {
        if (number == signal) {
            return std::string(name);
        }
    }
    return fmt::format("SIG{}", signal);
}

int parseSignal(const std::string& text) {
    if (text.empty()) {
        return 0;
    }
    if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        if (text.size() > 2) {
            return 0;
        }
        int number = std::stoi(text);
        return number >= 1 && number <= SIGRTMAX ? number : 0;
    }
    std::string upper;
    for (unsigned char c : text) {
        upper += static_cast<char>(std::toupper(c));
    }
    if (upper.rfind("SIG", 0) != 0) {
        upper = "SIG" + upper;
    }
    for (const auto& [number, name] : kSignals) {
        if (name == upper) {
            return number;
        }
    }
    return 0;
}

}  // namespace forever
