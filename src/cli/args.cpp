#include "cli/args.hpp"

#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "cli/closest_match.hpp"
#include "cli/option_table.hpp"
#include "cli/option_values.hpp"
#include "cli/start_options.hpp"
#include "cli/verbs.hpp"

namespace forever::cli {

namespace {

// A word that starts like an option but is an operand of this verb: "-5"
// (a pid, refused later) or scale's "-2".
bool isOperandOf(const Verb* verb, const std::string& word) {
    return verb && (verb->operands == Operands::Pid || verb->operands == Operands::Count) &&
           std::isdigit(static_cast<unsigned char>(word[1]));
}

// `--name=value`, `--name value`, `-n value` or a flag; `i` moves past the value.
void readOption(Invocation& inv, const Verb* verb, const std::vector<std::string>& argv,
                size_t& i) {
    const std::string& word = argv[i];
    std::string name = word;
    std::optional<std::string> value;
    if (auto eq = word.find('='); eq != std::string::npos && word.rfind("--", 0) == 0) {
        name = word.substr(0, eq);
        value = word.substr(eq + 1);
    }
    const Option* o = findOption(name);
    if (o && !appliesTo(o->info, inv.action)) {
        if (inv.action.empty()) {
            throw UsageError(
                fmt::format("{} belongs after an action (foreverctl start {} ...)", name, name));
        }
        throw UsageError(fmt::format("{} does not apply to '{}'", name, inv.action));
    }
    if (!o) {
        if (verb && verb->operands == Operands::Script && looksLikeInterpreterFlag(word) &&
            !closestMatch(name, optionNames())) {
            inv.spec["nodeArgs"].push_back(word);
            return;
        }
        throw UsageError(fmt::format("unknown option {}{}", name, didYouMean(name, optionNames())));
    }
    const bool takesValue = !o->info.valueName.empty();
    if (!takesValue && value) {
        throw UsageError(fmt::format("{} takes no value", name));
    }
    if (takesValue && !value) {
        if (i + 1 >= argv.size()) {
            throw UsageError(fmt::format("{} needs a value ({})", name, o->info.valueName));
        }
        value = argv[++i];
    }
    applyOption(inv, *o, name, value);
}

// `help [ACTION]` asks for help; it runs nothing.
Invocation helpRequest(Invocation inv) {
    inv.help = true;
    inv.action = inv.operands.empty() ? "" : inv.operands.front();
    inv.operands.clear();
    if (!inv.action.empty() && !findVerb(inv.action)) {
        throw UsageError(fmt::format("no help for unknown action '{}'", inv.action));
    }
    return inv;
}

void checkOperands(const Invocation& inv, const Verb& verb) {
    if (inv.operands.size() < verb.minOperands) {
        throw UsageError(fmt::format("missing operand: usage: foreverctl {}", verb.usage));
    }
    if (inv.operands.size() > verb.maxOperands) {
        throw UsageError(fmt::format("unexpected '{}': usage: foreverctl {}",
                                     inv.operands[verb.maxOperands], verb.usage));
    }
    if (verb.operands == Operands::Pid) {
        for (const auto& pid : inv.operands) {
            parseCount("PID", pid);
        }
    }
}

}  // namespace

Invocation parseArgs(const std::vector<std::string>& argv) {
    Invocation inv;
    const Verb* verb = nullptr;
    bool scriptSeen = false;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& word = argv[i];
        if (scriptSeen) {
            inv.scriptArgs.push_back(word);  // forever's rule: after SCRIPT, it is the script's
            continue;
        }
        if (word == "--") {
            // Everything after is operands (a script named "-x", say).
            for (++i; i < argv.size(); ++i) {
                if (verb && verb->operands == Operands::Script && inv.operands.size() == 1) {
                    inv.scriptArgs.push_back(argv[i]);
                } else {
                    inv.operands.push_back(argv[i]);
                }
            }
            break;
        }
        if (word.size() > 1 && word[0] == '-' && !isOperandOf(verb, word)) {
            readOption(inv, verb, argv, i);
            continue;
        }
        if (!verb) {
            verb = &verbNamed(word);
            inv.action = word;
            continue;
        }
        inv.operands.push_back(word);
        scriptSeen = verb->operands == Operands::Script;
    }
    if (inv.action == "help") {
        return helpRequest(std::move(inv));
    }
    if (inv.help || inv.version) {
        return inv;
    }
    if (!verb) {
        throw UsageError("no action given (try: foreverctl --help)");
    }
    checkOperands(inv, *verb);
    return inv;
}

}  // namespace forever::cli
