#include "daemon/metrics_sampler.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <vector>

namespace forever {

MetricsSampler::MetricsSampler(EventLoop& loop, Supervisor& supervisor, Millis interval,
                               FiguresFor figuresFor, Report report, std::function<void()> sampled)
    : loop_(loop),
      supervisor_(supervisor),
      interval_(interval),
      figuresFor_(std::move(figuresFor)),
      report_(std::move(report)),
      sampled_(std::move(sampled)),
      ticksPerSecond_(::sysconf(_SC_CLK_TCK)) {
    schedule();
}

void MetricsSampler::schedule() {
    if (interval_.count() > 0) {
        timer_ = loop_.addTimer(interval_, [this] {
            schedule();  // first: a round that cannot start must not end sampling
            sampleNow();
        });
    }
}

// What a round takes to the worker and brings back. The worker touches
// only `usages` (and the clock); the loop reads them once it is back.
struct MetricsSampler::Round {
    struct Target {
        std::string uid;
        pid_t pid;
    };
    std::vector<Target> targets;
    std::vector<TreeUsage> usages;
    std::vector<std::chrono::steady_clock::time_point> readAt;
};

void MetricsSampler::sampleNow() {
    if (round_) {
        return;
    }
    auto round = std::make_shared<Round>();
    for (const auto& p : supervisor_.processes()) {
        // A stopping run is about to go: reading it would only make its
        // reap dearer (the kernel drops the /proc entries the read made).
        if (p->alive() && p->state != ProcState::Stopping) {
            round->targets.push_back({p->spec.uid, p->run.pid});
        } else {
            ProcessFigures& figures = figuresFor_(p->spec.uid);
            figures.rssBytes = 0;
            figures.cpuPercent = 0;
        }
    }
    round_ = loop_.runBlocking(
        [round] {
            round->usages.reserve(round->targets.size());
            round->readAt.reserve(round->targets.size());
            for (const auto& t : round->targets) {
                round->usages.push_back(treeUsage(t.pid));
                // Each tree's own moment: a round at 10 000 apps lasts a
                // third of a second, too long to share one for CPU %.
                round->readAt.push_back(std::chrono::steady_clock::now());
            }
        },
        [this, round] {
            round_.reset();
            record(*round);
        });
}

void MetricsSampler::record(Round& round) {
    for (size_t i = 0; i < round.targets.size(); ++i) {
        const auto& t = round.targets[i];
        Process* p = supervisor_.findByUid(t.uid);
        // Gone, restarted or stopping since the walk: its figures are of
        // another run, or of none.
        if (!p || !p->alive() || p->run.pid != t.pid || p->state == ProcState::Stopping) {
            continue;
        }
        const Sample& s =
            table_.record(t.uid, t.pid, round.usages[i], round.readAt[i], ticksPerSecond_);
        const SampleRing* ring = table_.ring(t.uid);
        ProcessFigures& figures = figuresFor_(t.uid);
        figures.rssBytes = s.rssBytes;
        figures.cpuPercent = s.cpuPercent;
        figures.rssAverage = ring->averageRss();
        figures.cpuAverage = ring->averageCpu();
        figures.samples = static_cast<uint32_t>(ring->size());
        figures.cpuNsec = s.cpuNsec;
        figures.history = ring;
        supervisor_.memorySampled(*p, s.rssBytes,
                                  [&](const std::string& why) { report_(*p, why); });
    }
    // forget() drops a removed app's ring as it goes; this is the net for
    // one removed while its round was out.
    if (table_.size() > supervisor_.processCount()) {
        std::set<std::string> present;
        for (const auto& p : supervisor_.processes()) {
            present.insert(p->spec.uid);
        }
        table_.retain(present);
    }
    if (sampled_) {
        sampled_();
    }
}

}  // namespace forever
