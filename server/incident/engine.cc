// IncidentEngine::Analyze: scan both windows once, judge each route (broken),
// find the onset, then hand the sampled requests to the who/where/why stages.
#include "server/incident/engine.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "server/incident/analysis.h"
#include "server/incident/links.h"
#include "server/incident/stats.h"

namespace quartet::incident {
namespace {

using internal::Analysis;
using internal::Request;
using internal::Sampled;

// Fewer requests than this on a route in either window: no verdict (too
// little data to tell a regression from noise).
constexpr int64_t kMinRequests = 20;
// A regression must be this unlikely under "nothing changed" (one-sided z).
constexpr double kMinZ = 4.0;
// Distinct routes tracked; the rest are pooled (untrusted names may be ids).
constexpr size_t kMaxRoutes = 1000;
constexpr int64_t kMs = 1000000;

class Interner {
 public:
  explicit Interner(std::vector<std::string>* names) : names_(names) {}
  uint32_t Intern(const std::string& s) {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    if (names_->size() >= kMaxRoutes) return Intern("(other)");
    uint32_t i = static_cast<uint32_t>(names_->size());
    names_->push_back(s);
    index_.emplace(s, i);
    return i;
  }

 private:
  std::vector<std::string>* names_;
  std::unordered_map<std::string, uint32_t> index_;
};

std::vector<double> SortedDurations(const std::vector<Request>& rs, uint32_t route) {
  std::vector<double> out;
  for (const Request& r : rs) {
    if (r.route == route) out.push_back(static_cast<double>(r.duration_ns));
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Pass {
  Interner* routes;
  Interner* versions;
  std::vector<Request>* out;
  // Called for each request of the window, after it is recorded.
  std::function<void(const store::TraceCandidate&, const RequestFacts&, const Request&)> sample;
};

// Reads the window's requests. Materialising a trace costs the store about
// 0.1 ms, so a window with more requests than `max_requests` is read as
// kSlices equal time slices of at most max_requests / kSlices requests each:
// an even sample over time (percentiles, error rates and the onset stay
// unbiased; counts are those of the sample).
constexpr int kSlices = 12;

Status ScanWindow(store::TraceStore* traces, const std::string& service, int64_t from_ns,
                  int64_t to_ns, size_t max_requests, const Pass& pass) {
  const int64_t slice_ns = std::max<int64_t>(1, (to_ns - from_ns + kSlices - 1) / kSlices);
  const size_t per_slice = std::max<size_t>(1, max_requests / kSlices);
  for (int64_t lo = from_ns; lo < to_ns; lo += slice_ns) {
    const int64_t hi = std::min(to_ns, lo + slice_ns);
    store::TraceFilter filter;
    filter.range = {lo, hi};
    filter.service = service;
    size_t taken = 0;
    RETURN_IF_ERROR(traces->SearchTraces(filter, [&](const store::TraceCandidate& c) {
      if (c.spans == nullptr) return true;
      RequestFacts facts;
      if (!ExtractRequest(*c.spans, service, &facts)) return true;
      // The request belongs to the slice its entry span starts in (the
      // store's range is overlap).
      if (facts.start_ns < lo || facts.start_ns >= hi) return true;
      Request r{.start_ns = facts.start_ns,
                .duration_ns = facts.duration_ns,
                .route = pass.routes->Intern(facts.route),
                .version = pass.versions->Intern(facts.version),
                .error = facts.error};
      pass.out->push_back(r);
      if (pass.sample) pass.sample(c, facts, r);
      return ++taken < per_slice;
    }));
  }
  return Status::Ok();
}

void Offer(Reservoir<Sampled>* reservoir, const store::TraceCandidate& c, const RequestFacts& f,
           const Request& r) {
  size_t slot;
  if (!reservoir->Admit(&slot)) return;
  reservoir->Put(
      slot,
      Sampled{.route = r.route, .facts = f, .detail = ExtractDetail(*c.spans, f.entry_span_id)});
}

// Decides each route's verdict and writes the "broken" findings.
void JudgeRoutes(Analysis* a, Report* report) {
  const int64_t from = a->query->from_ns, to = a->query->to_ns;
  for (uint32_t route = 0; route < a->routes.size(); ++route) {
    const std::vector<double> base = SortedDurations(a->baseline, route);
    const std::vector<double> inc = SortedDurations(a->incident, route);
    internal::RouteVerdict& v = a->verdicts[route];
    if (!base.empty()) v.slow_ns = static_cast<int64_t>(Quantile(base, 0.99));
    const int64_t nb = static_cast<int64_t>(base.size()), ni = static_cast<int64_t>(inc.size());
    if (nb < kMinRequests || ni < kMinRequests) continue;
    const std::string& name = a->routes[route];
    const std::string selector = internal::RequestSelector(*a, name);

    int64_t eb = 0, ei = 0;
    for (const Request& r : a->baseline) eb += r.route == route && r.error;
    for (const Request& r : a->incident) ei += r.route == route && r.error;
    const double rb = static_cast<double>(eb) / static_cast<double>(nb);
    const double ri = static_cast<double>(ei) / static_cast<double>(ni);
    if (TwoProportionZ(ei, ni, eb, nb) >= kMinZ && ei >= 5 && ri - rb >= 0.02 && ri >= 2 * rb) {
      v.error_broken = true;
      Finding f;
      f.summary = name + " fails: error rate " + internal::FormatPercent(rb) + " -> " +
                  internal::FormatPercent(ri) + " (" + std::to_string(ei) + " of " +
                  std::to_string(ni) + " requests)";
      f.signal = "error rate";
      f.subject = {{"service", a->query->service}, {"route", name}};
      f.baseline = rb;
      f.incident = ri;
      f.unit = "ratio";
      f.score = 0.5 + 0.5 * std::min(1.0, (ri - rb) * 2);
      const std::string q = selector.substr(0, selector.size() - 2) + " && status = error }";
      f.links = {TracesView(q, from, to), TempoSearch(q, from, to)};
      report->broken.push_back(std::move(f));
    }

    // Latency: at each quantile, is the share of requests slower than the
    // baseline's quantile higher now, and did the quantile itself grow?
    struct Level {
      double q;
      const char* name;
      double min_ratio;
    };
    double best_z = 0;
    const Level* best = nullptr;
    static const Level kLevels[] = {{0.5, "p50", 1.25}, {0.95, "p95", 1.3}, {0.99, "p99", 1.5}};
    for (const Level& level : kLevels) {
      const double tb = Quantile(base, level.q), ti = Quantile(inc, level.q);
      const int64_t hb = base.end() - std::upper_bound(base.begin(), base.end(), tb);
      const int64_t hi = inc.end() - std::upper_bound(inc.begin(), inc.end(), tb);
      const double z = TwoProportionZ(hi, ni, hb, nb);
      if (z < kMinZ || hi < 5 || ti < tb * level.min_ratio || ti - tb < kMs) continue;
      const double ratio = tb > 0 ? ti / tb : 100;
      if (best == nullptr || (1 - 1 / ratio) > best_z) {
        best_z = 1 - 1 / ratio;
        best = &level;
      }
    }
    if (best != nullptr) {
      v.latency_broken = true;
      const double tb = Quantile(base, best->q), ti = Quantile(inc, best->q);
      Finding f;
      f.summary = name + " is slow: " + best->name + " " + internal::FormatMs(tb) + " -> " +
                  internal::FormatMs(ti) + " (p50 " + internal::FormatMs(Quantile(base, 0.5)) +
                  " -> " + internal::FormatMs(Quantile(inc, 0.5)) + ", p95 " +
                  internal::FormatMs(Quantile(base, 0.95)) + " -> " +
                  internal::FormatMs(Quantile(inc, 0.95)) + ", p99 " +
                  internal::FormatMs(Quantile(base, 0.99)) + " -> " +
                  internal::FormatMs(Quantile(inc, 0.99)) + ")";
      f.signal = std::string("latency ") + best->name;
      f.subject = {{"service", a->query->service}, {"route", name}};
      f.baseline = tb / 1e6;
      f.incident = ti / 1e6;
      f.unit = "ms";
      f.score = 0.5 + 0.5 * best_z;
      const std::string q = selector.substr(0, selector.size() - 2) + " && duration > " +
                            TraceQlDuration(static_cast<int64_t>(tb)) + " }";
      f.links = {TracesView(q, from, to), TempoSearch(q, from, to)};
      report->broken.push_back(std::move(f));
    }
  }
}

void FindOnsetOf(Analysis* a, Report* report) {
  const int64_t from = a->query->from_ns, to = a->query->to_ns;
  a->bucket_ns = std::max<int64_t>(1000000000, (to - from) / 60 / 1000000000 * 1000000000);
  std::vector<RateBucket> buckets(static_cast<size_t>((to - from) / a->bucket_ns + 1));
  RateBucket base;
  for (const Request& r : a->baseline) {
    const internal::RouteVerdict& v = a->verdicts[r.route];
    if (!v.latency_broken && !v.error_broken) continue;
    ++base.total;
    base.bad += a->IsBad(r.route, r.duration_ns, r.error);
  }
  for (const Request& r : a->incident) {
    const internal::RouteVerdict& v = a->verdicts[r.route];
    if (!v.latency_broken && !v.error_broken) continue;
    RateBucket& b = buckets[static_cast<size_t>((r.start_ns - from) / a->bucket_ns)];
    ++b.total;
    b.bad += a->IsBad(r.route, r.duration_ns, r.error);
  }
  a->baseline_bad_share =
      base.total > 0 ? static_cast<double>(base.bad) / static_cast<double>(base.total) : 0;
  std::optional<size_t> k = FindOnset(buckets, a->baseline_bad_share, 3);
  a->onset_ns = from + static_cast<int64_t>(k.value_or(0)) * a->bucket_ns;
  report->onset_ns = a->onset_ns;
}

}  // namespace

IncidentEngine::IncidentEngine(Sources sources, EngineOptions options)
    : sources_(std::move(sources)), options_(options) {}

Result<Report> IncidentEngine::Analyze(const IncidentQuery& q) const {
  if (sources_.traces == nullptr) return Status::FailedPrecondition("no trace store");
  if (q.service.empty()) return Status::InvalidArgument("service is required");
  if (q.from_ns >= q.to_ns) return Status::InvalidArgument("the window's from must be before to");
  if (q.to_ns - q.from_ns > options_.max_window_ns) {
    return Status::InvalidArgument("the window is longer than the maximum of " +
                                   std::to_string(options_.max_window_ns / 3600000000000) + " h");
  }
  Analysis a;
  a.query = &q;
  a.baseline_to_ns = q.baseline_to_ns.value_or(q.from_ns);
  a.baseline_from_ns = q.baseline_from_ns.value_or(a.baseline_to_ns - (q.to_ns - q.from_ns));
  if (a.baseline_from_ns >= a.baseline_to_ns) {
    return Status::InvalidArgument("the baseline's from must be before its to");
  }
  if (a.baseline_to_ns - a.baseline_from_ns > options_.max_window_ns) {
    return Status::InvalidArgument("the baseline is longer than the maximum window");
  }
  Report report;
  report.service = q.service;
  report.from_ns = q.from_ns;
  report.to_ns = q.to_ns;
  report.baseline_from_ns = a.baseline_from_ns;
  report.baseline_to_ns = a.baseline_to_ns;

  Interner routes(&a.routes), versions(&a.versions);
  Reservoir<Sampled> baseline_sample(options_.sample_per_group, 1);
  RETURN_IF_ERROR(ScanWindow(sources_.traces, q.service, a.baseline_from_ns, a.baseline_to_ns,
                             options_.max_requests_per_window,
                             {&routes, &versions, &a.baseline,
                              [&](const store::TraceCandidate& c, const RequestFacts& f,
                                  const Request& r) { Offer(&baseline_sample, c, f, r); }}));
  // Slow = beyond the baseline p99 of the route (of all routes for a route
  // the baseline never saw), known before the incident pass so that pass can
  // sample slow and normal requests separately.
  std::vector<int64_t> slow_ns;
  std::vector<double> all;
  for (const Request& r : a.baseline) all.push_back(static_cast<double>(r.duration_ns));
  std::sort(all.begin(), all.end());
  const int64_t global_slow = all.empty() ? 0 : static_cast<int64_t>(Quantile(all, 0.99));
  for (uint32_t i = 0; i < a.routes.size(); ++i) {
    std::vector<double> d = SortedDurations(a.baseline, i);
    slow_ns.push_back(d.size() >= static_cast<size_t>(kMinRequests)
                          ? static_cast<int64_t>(Quantile(d, 0.99))
                          : global_slow);
  }
  Reservoir<Sampled> suspect_sample(options_.sample_per_group, 2);
  Reservoir<Sampled> normal_sample(options_.sample_per_group, 3);
  RETURN_IF_ERROR(ScanWindow(
      sources_.traces, q.service, q.from_ns, q.to_ns, options_.max_requests_per_window,
      {&routes, &versions, &a.incident,
       [&](const store::TraceCandidate& c, const RequestFacts& f, const Request& r) {
         const int64_t slow = r.route < slow_ns.size() ? slow_ns[r.route] : global_slow;
         Offer(r.error || r.duration_ns > slow ? &suspect_sample : &normal_sample, c, f, r);
       }}));
  a.baseline_sample = std::move(baseline_sample.items());
  a.suspect_sample = std::move(suspect_sample.items());
  a.normal_sample = std::move(normal_sample.items());
  a.verdicts.resize(a.routes.size());
  report.baseline_requests = static_cast<int64_t>(a.baseline.size());
  report.incident_requests = static_cast<int64_t>(a.incident.size());

  JudgeRoutes(&a, &report);
  if (!q.alert.empty()) {
    Finding f;
    f.summary = "alert " + q.alert + " is firing";
    f.signal = "alert";
    f.subject = {{"alertname", q.alert}};
    f.unit = "";
    f.score = 1.0;  // the reason the report was asked for comes first
    f.links = {"/api/v1/alerts"};
    report.broken.insert(report.broken.begin(), std::move(f));
  }
  if (a.AnyBroken()) {
    FindOnsetOf(&a, &report);
    // Log lines of the sampled traces: categorical values join the
    // features (who), numbers the measurements (why).
    if (sources_.logs != nullptr) {
      for (std::vector<Sampled>* group :
           {&a.suspect_sample, &a.normal_sample, &a.baseline_sample}) {
        const size_t n = std::min(group->size(), options_.log_traces_per_group);
        for (size_t i = 0; i < n; ++i) {
          Sampled& s = (*group)[i];
          Status st =
              sources_.logs->LogsOfTrace(s.facts.trace_id, SpanId{}, [&](const store::LogRow& row) {
                AddLogAttributes(*row.structured_metadata, &s.detail);
                return true;
              });
          if (!st.ok()) break;  // logs are extra evidence: the report goes on without them
          s.detail.logs_read = true;
          Normalize(&s.detail);
        }
      }
    }
    internal::SelectGroups(&a);
    internal::FindWho(a, &report);
    internal::FindWhere(a, &report);
    internal::FindWhy(a, sources_, &report);
  }
  RankAndTrim(&report);
  report.conclusion = internal::Conclusion(a, report);
  return report;
}

}  // namespace quartet::incident
