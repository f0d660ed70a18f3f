#include "cli/output.hpp"

#include <iostream>

namespace forever::cli {

void printJson(const nlohmann::json& j) {
    std::cout << j.dump(2) << "\n";
}

const ProcessView* findByPath(const std::vector<ProcessView>& all, const std::string& path) {
    for (const auto& p : all) {
        if (p.path == path) {
            return &p;
        }
    }
    return nullptr;
}

std::string displayPid(const ProcessView& p) {
    return p.pid ? std::to_string(p.pid) : "-";
}

std::vector<std::string> logFilesOf(const ProcessView& p) {
    std::vector<std::string> files;
    for (const auto* f : {&p.logFile, &p.outFile, &p.errFile}) {
        if (!f->empty()) {
            files.push_back(*f);
        }
    }
    return files;
}

}  // namespace forever::cli
