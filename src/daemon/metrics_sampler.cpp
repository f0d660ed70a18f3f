#include "daemon/metrics_sampler.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <set>

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
            sampleNow();
            schedule();
        });
    }
}

void MetricsSampler::sampleNow() {
    const auto now = loop_.now();
    std::set<std::string> present;
    for (const auto& p : supervisor_.processes()) {
        const std::string& uid = p->spec.uid;
        present.insert(uid);
        ProcessFigures& figures = figuresFor_(uid);
        if (!p->alive()) {
            figures.rssBytes = 0;
            figures.cpuPercent = 0;
            continue;
        }
        const Sample& s =
            table_.record(uid, p->run.pid, treeUsage(p->run.pid), now, ticksPerSecond_);
        const SampleRing* ring = table_.ring(uid);
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
    table_.retain(present);
    if (sampled_) {
        sampled_();
    }
}

}  // namespace forever
