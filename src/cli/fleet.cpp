#include "cli/fleet.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "cli/thread_output.hpp"

namespace forever::cli {

namespace {

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string padded(const std::string& label, size_t width) {
    return label + std::string(width > label.size() ? width - label.size() : 0, ' ');
}

struct Finished {
    size_t host;
    int exitCode;
    std::string text;   // captured stdout
    std::string error;  // one line, without "foreverctl: "
};

}  // namespace

std::string fleetBlock(const std::string& text, const std::string& label, size_t labelWidth,
                       FleetLayout layout, bool first) {
    auto lines = splitLines(text);
    std::string out;
    // A host with nothing to tabulate prints a sentence ("No forever
    // processes running"), not a header and rows.
    const bool table = layout == FleetLayout::kTable && lines.size() > 1;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (table && i == 0) {
            if (first) {
                out += padded("HOST", labelWidth) + "  " + lines[0] + "\n";
            }
            continue;
        }
        if (layout == FleetLayout::kPlain) {
            out += label + " " + lines[i] + "\n";
        } else if (table) {
            out += padded(label, labelWidth) + "  " + lines[i] + "\n";
        } else {
            out += label + ": " + lines[i] + "\n";
        }
    }
    return out;
}

std::vector<std::string> hostJsonItems(const std::string& text, const std::string& label) {
    std::vector<std::string> items;
    auto add = [&](nlohmann::json value) {
        if (!value.is_object()) {
            value = nlohmann::json{{"value", std::move(value)}};
        }
        value["host"] = label;
        items.push_back(value.dump());
    };
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        add(text);  // not JSON (a sentence): keep it rather than lose it
    } else if (doc.is_array()) {
        for (auto& v : doc) {
            add(std::move(v));
        }
    } else {
        add(std::move(doc));
    }
    return items;
}

int runOnHosts(const std::vector<BusTarget>& hosts, const std::function<int()>& action,
               FleetLayout layout, std::ostream& out, std::ostream& err) {
    installThreadOutput();
    std::mutex mutex;
    std::condition_variable done;
    std::deque<Finished> finished;
    std::vector<std::thread> threads;
    for (size_t i = 0; i < hosts.size(); ++i) {
        threads.emplace_back([&, i] {
            Finished result{i, kExitOk, "", ""};
            {
                ScopedBusTarget target(hosts[i]);
                CaptureStdout capture(result.text);
                try {
                    result.exitCode = action();
                } catch (const CliError& e) {
                    result.exitCode = e.exitCode();
                    result.error = e.what();
                } catch (const std::exception& e) {
                    result.exitCode = kExitFailure;
                    result.error = e.what();
                }
            }
            std::lock_guard lock(mutex);
            finished.push_back(std::move(result));
            done.notify_one();
        });
    }
    size_t labelWidth = 4;  // "HOST"
    for (const auto& h : hosts) {
        labelWidth = std::max(labelWidth, h.label.size());
    }
    std::vector<int> codes(hosts.size(), kExitOk);
    std::vector<std::vector<std::string>> jsonItems(hosts.size());  // printed in host order
    bool first = true;
    for (size_t seen = 0; seen < hosts.size(); ++seen) {
        Finished f;
        {
            std::unique_lock lock(mutex);
            done.wait(lock, [&] { return !finished.empty(); });
            f = std::move(finished.front());
            finished.pop_front();
        }
        const std::string& label = hosts[f.host].label;
        codes[f.host] = f.exitCode;
        if (!f.error.empty()) {
            // BusClient's errors already name the host.
            std::string line =
                f.error.rfind(label + ": ", 0) == 0 ? f.error : label + ": " + f.error;
            err << "foreverctl: " << line << std::endl;
            if (layout == FleetLayout::kJson) {
                nlohmann::json item{{"host", label}, {"error", line}, {"exitCode", f.exitCode}};
                jsonItems[f.host].push_back(item.dump());
            }
            continue;
        }
        if (layout == FleetLayout::kJson) {
            jsonItems[f.host] = hostJsonItems(f.text, label);
            continue;
        }
        out << fleetBlock(f.text, label, labelWidth, layout, first) << std::flush;
        if (layout == FleetLayout::kTable && splitLines(f.text).size() > 1) {
            first = false;  // the header is printed
        }
    }
    for (auto& t : threads) {
        t.join();
    }
    if (layout == FleetLayout::kJson) {
        std::string merged = "[";
        for (const auto& items : jsonItems) {
            for (const auto& item : items) {
                merged += (merged.size() > 1 ? "," : "") + item;
            }
        }
        out << nlohmann::json::parse(merged + "]").dump(2) << "\n" << std::flush;
    }
    for (int code : codes) {
        if (code != kExitOk) {
            return code;
        }
    }
    return kExitOk;
}

}  // namespace forever::cli
