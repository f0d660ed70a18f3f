// Manager.Start and Manager.StartMany: a spec as the caller sent it, made
// whole with the daemon's defaults, validated, started, and answered once
// its record is durable (so an answered start survives a kill -9).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/process_spec.hpp"
#include "daemon/dbus_errors.hpp"
#include "daemon/forever_service.hpp"
#include "daemon/spec_from_dbus.hpp"

namespace forever {

using dbus_errors::guarded;

ProcessSpec ForeverService::preparedSpec(const std::map<std::string, sdbus::Variant>& spec,
                                         const SharedEnvironment* shared) {
    nlohmann::json object = specDefaults_;
    object.update(specVariantsToJson(spec));
    if (access_) {
        access_->prepareStart(getObject(), object);
    }
    if (shared && !object.contains("env")) {
        object["env"] = nlohmann::json::object();
    } else if (!object.contains("env")) {
        // A caller that sends no environment gets the daemon's, as a
        // forever monitor would pass its own to the child.
        object["env"] = defaultEnv_;
    }
    auto prepared = specFromJson(object);
    if (shared) {
        prepared.env.fillFrom(*shared);
    }
    supervisor_.prepare(prepared);
    return prepared;
}

void ForeverService::replyWhenSaved(std::function<void()> reply) {
    if (!saver_) {
        reply();
        return;
    }
    // A failed write is logged by the saver and retried; the caller is not
    // kept waiting for a disk that may never come back.
    saver_->whenSaved([reply = std::move(reply)](std::error_code) { reply(); });
}

void ForeverService::Start(sdbus::Result<sdbus::ObjectPath>&& result,
                           std::map<std::string, sdbus::Variant> spec) {
    guarded([&] {
        ProcessSpec prepared = preparedSpec(spec);
        groups().checkNames(prepared);
        if (!prepared.restartAt.empty()) {
            // systemd validates the calendar: the reply waits for its timer.
            groups().startScheduled(
                std::move(prepared),
                [this](ProcessSpec spec) { return startProcess(std::move(spec)); },
                std::move(result));
            return;
        }
        Process& p = supervisor_.startPrepared(std::move(prepared));
        // sdbus::Result is move-only; std::function needs a copy.
        auto pending = std::make_shared<sdbus::Result<sdbus::ObjectPath>>(std::move(result));
        replyWhenSaved([pending, path = sdbus::ObjectPath(processObjectPath(p.spec.uid))] {
            pending->returnResults(path);
        });
    });
}

void ForeverService::StartMany(
    sdbus::Result<std::vector<sdbus::Struct<sdbus::ObjectPath, std::string>>>&& result,
    std::vector<std::map<std::string, sdbus::Variant>> specs,
    std::map<std::string, std::string> environment) {
    guarded([&] {
        for (const auto& [name, value] : environment) {
            // As specFromJson checks a spec's env: A=B would reach the
            // child as A="B=...".
            if (name.empty() || name.find('=') != std::string::npos) {
                throw sdbus::Error(dbus_errors::kInvalidArgument,
                                   fmt::format("environment: invalid variable name '{}'", name));
            }
        }
        const SharedEnvironment shared(environment);
        const SharedEnvironment* base = environment.empty() ? nullptr : &shared;
        // All or none: every spec is checked before the first spawn.
        std::vector<ProcessSpec> prepared;
        prepared.reserve(specs.size());
        std::unordered_set<std::string> uids;
        for (size_t i = 0; i < specs.size(); ++i) {
            try {
                auto spec = preparedSpec(specs[i], base);
                // A generated uid (4 random characters) can repeat within a
                // big batch: draw again; a given one given twice is an error.
                const bool generated = !specs[i].count("uid");
                for (int draw = 0; generated && uids.count(spec.uid) && draw < 100; ++draw) {
                    spec = preparedSpec(specs[i], base);
                }
                if (!spec.restartAt.empty()) {
                    // Its timer is systemd's to accept, one call each.
                    throw sdbus::Error(dbus_errors::kInvalidArgument,
                                       "restartAt is given to Start, not StartMany");
                }
                groups().checkNames(spec);
                if (!uids.insert(spec.uid).second) {
                    throw sdbus::Error(dbus_errors::kAlreadyExists,
                                       fmt::format("uid '{}' is given twice", spec.uid));
                }
                prepared.push_back(std::move(spec));
            } catch (...) {
                auto error = dbus_errors::toDbusError(std::current_exception());
                throw sdbus::Error(error.getName(),
                                   fmt::format("spec {}: {}", i, error.getMessage()));
            }
        }
        auto pending = std::make_shared<
            sdbus::Result<std::vector<sdbus::Struct<sdbus::ObjectPath, std::string>>>>(
            std::move(result));
        // Spawned a slice per loop iteration (core/bulk_start.cpp); the
        // reply once the last is spawned and every record is durable.
        supervisor_.startMany(
            std::move(prepared), [this, pending](std::vector<Supervisor::StartResult> started) {
                std::vector<sdbus::Struct<sdbus::ObjectPath, std::string>> results;
                results.reserve(started.size());
                for (const auto& one : started) {
                    results.emplace_back(
                        sdbus::ObjectPath(one.error.empty() ? processObjectPath(one.uid)
                                                            : std::string("/")),
                        one.error);
                }
                replyWhenSaved([pending, results = std::move(results)] {
                    try {
                        pending->returnResults(results);
                    } catch (const sdbus::Error&) {
                        // A lost connection (one reason foreverd halts, which
                        // answers the rest of a bulk start at once):
                        // BusAttachment reports it.
                    }
                });
            });
    });
}

}  // namespace forever
