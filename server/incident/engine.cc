// IncidentEngine::Analyze: scan both windows once, judge each route (broken),
// find the onset, then hand the sampled requests to the who/where/why stages.
#include "server/incident/engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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
// A default baseline starts at the service's first request in it when that
// is this much later than the window's start (the data begins there).
constexpr int64_t kBaselineGapNs = 60 * 1000 * kMs;
// A baseline shorter than this is named as such in the conclusion.
constexpr int64_t kMinBaselineNs = 5 * 60 * 1000 * kMs;

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

// The requests of one window, as the full-population pass reads them:
// compact records plus the trace ids the samples are fetched by.
struct Window {
  std::vector<Request>* requests;
  std::vector<TraceId> ids;  // parallel to *requests
};

struct IdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t a, b;
    std::memcpy(&a, id.bytes.data(), 8);
    std::memcpy(&b, id.bytes.data() + 8, 8);
    return static_cast<size_t>((a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull);
  }
};

// A uniform draw in [0, 1) fixed by the trace id (ids are random), so a
// thinned pass keeps the same traces whichever order they come in.
double IdUniform(const TraceId& id) { return static_cast<double>(IdHash()(id) >> 11) * 0x1.0p-53; }

bool IdLess(const TraceId& a, const TraceId& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) < 0;
}

// Reads the window's requests from the correlation index (SearchSummaries:
// no span is decoded). A trace whose root span is the service's and did not
// fail is a request as its summary says: start, duration, route (http.route,
// else the root's name). The others (the service is called by another one,
// or some span failed and only the spans tell whether the entry span did)
// are read whole (GetTrace, ~0.3 ms each): at most `max_fetched` per window,
// above which every request of the window is kept with the same
// probability, chosen by trace id.
//
// Merging a trace's summary costs the store a lookup in each of its
// sources, so a window with more requests than `max_requests` is read as
// kSlices equal time slices of at most max_requests / kSlices traces each.
// The store delivers a slice's traces in id order, and ids are random, so
// the first ones are a uniform sample of the slice: an even sample over
// time (percentiles, error rates and the onset stay unbiased; `requests`
// counts the sample).
constexpr int kSlices = 12;

Status ScanWindow(store::TraceStore* traces, const std::string& service, int64_t from_ns,
                  int64_t to_ns, size_t max_requests, size_t max_fetched, Interner* routes,
                  Interner* versions, Window* out) {
  std::vector<TraceId> fetch;
  const uint32_t no_version = versions->Intern("");
  const int64_t slice_ns = std::max<int64_t>(1, (to_ns - from_ns + kSlices - 1) / kSlices);
  const size_t per_slice = std::max<size_t>(1, max_requests / kSlices);
  Result<std::vector<std::string>> version_values =
      traces->TagValues("resource", "service.version", {from_ns, to_ns}, 64);
  for (int64_t lo = from_ns; lo < to_ns; lo += slice_ns) {
    const int64_t hi = std::min(to_ns, lo + slice_ns);
    store::TraceFilter filter;
    filter.range = {lo, hi};
    filter.service = service;
    const size_t first = out->ids.size();
    size_t taken = 0;
    TraceId last{};
    bool ascending = true;  // a store may deliver in another order (interface.h)
    RETURN_IF_ERROR(traces->SearchSummaries(filter, [&](const store::TraceSummary& s) {
      if (taken > 0 && IdLess(s.trace_id, last)) ascending = false;
      last = s.trace_id;
      if (s.root_service != service || s.has_error) {
        fetch.push_back(s.trace_id);
        return ++taken < per_slice;
      }
      // A request belongs to the slice its entry span starts in (the
      // store's range is overlap).
      if (s.start_ns < lo || s.start_ns >= hi) return true;
      out->requests->push_back(
          Request{.start_ns = s.start_ns,
                  .duration_ns = s.duration_ns(),
                  .route = routes->Intern(s.root_route.empty() ? s.root_name : s.root_route),
                  .version = no_version,
                  .error = false});
      out->ids.push_back(s.trace_id);
      return ++taken < per_slice;
    }));
    // service.version of the slice's direct requests: one indexed pass per
    // version value on the window's resources, over the same ids (up to
    // the last one the slice took).
    if (out->ids.size() == first || !version_values.ok()) continue;
    std::unordered_map<TraceId, size_t, IdHash> index;
    for (size_t i = first; i < out->ids.size(); ++i) index.emplace(out->ids[i], i);
    for (const std::string& v : *version_values) {
      if (v.empty()) continue;
      store::TraceFilter by_version = filter;
      by_version.string_attributes = {{"service.version", v}};
      const uint32_t vi = versions->Intern(v);
      RETURN_IF_ERROR(traces->SearchSummaries(by_version, [&](const store::TraceSummary& s) {
        if (ascending && IdLess(last, s.trace_id)) return false;
        auto it = index.find(s.trace_id);
        if (it != index.end()) (*out->requests)[it->second].version = vi;
        return true;
      }));
    }
  }
  // A trace spanning two slices came twice.
  std::sort(fetch.begin(), fetch.end(), IdLess);
  fetch.erase(std::unique(fetch.begin(), fetch.end()), fetch.end());
  if (fetch.size() > max_fetched) {
    const double keep = static_cast<double>(max_fetched) / static_cast<double>(fetch.size());
    std::erase_if(fetch, [&](const TraceId& id) { return IdUniform(id) >= keep; });
    size_t kept = 0;
    for (size_t i = 0; i < out->ids.size(); ++i) {
      if (IdUniform(out->ids[i]) >= keep) continue;
      (*out->requests)[kept] = (*out->requests)[i];
      out->ids[kept++] = out->ids[i];
    }
    out->requests->resize(kept);
    out->ids.resize(kept);
  }
  for (const TraceId& id : fetch) {
    Result<otlp::ExportTraceServiceRequest> trace = traces->GetTrace(id);
    if (!trace.ok()) continue;  // gone since (retention): not a request any more
    RequestFacts facts;
    if (!ExtractRequest(*trace, service, &facts)) continue;
    if (facts.start_ns < from_ns || facts.start_ns >= to_ns) continue;
    out->requests->push_back(Request{.start_ns = facts.start_ns,
                                     .duration_ns = facts.duration_ns,
                                     .route = routes->Intern(facts.route),
                                     .version = versions->Intern(facts.version),
                                     .error = facts.error});
    out->ids.push_back(id);
  }
  return Status::Ok();
}

// Reads the sampled requests whole: the exact facts of the service's entry
// span and the details the who/where/why stages compare. A trace gone since
// the pass is skipped.
std::vector<Sampled> FetchSample(store::TraceStore* traces, const std::string& service,
                                 const Window& w, const std::vector<size_t>& picked) {
  std::vector<Sampled> out;
  out.reserve(picked.size());
  for (size_t i : picked) {
    Result<otlp::ExportTraceServiceRequest> trace = traces->GetTrace(w.ids[i]);
    if (!trace.ok()) continue;
    Sampled s{.route = (*w.requests)[i].route};
    if (!ExtractRequest(*trace, service, &s.facts)) continue;
    s.detail = ExtractDetail(*trace, s.facts.entry_span_id);
    out.push_back(std::move(s));
  }
  return out;
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

Result<int64_t> IncidentEngine::AlertWindowStart(const std::string& service,
                                                 int64_t active_ns) const {
  if (sources_.traces == nullptr) return Status::FailedPrecondition("no trace store");
  store::TraceFilter filter;
  filter.range = {active_ns - kAlertLeadInNs, active_ns};
  filter.service = service;
  int64_t first = INT64_MAX;
  RETURN_IF_ERROR(sources_.traces->SearchSummaries(filter, [&](const store::TraceSummary& s) {
    first = std::min(first, s.start_ns);
    return true;
  }));
  // Data throughout the lead-in (or none in it: nothing to fit the window
  // to): the full lead-in.
  if (first == INT64_MAX || first - filter.range.start_ns <= kBaselineGapNs / 2) {
    return active_ns - kAlertLeadInNs;
  }
  // Whole seconds, so a link carrying the window in seconds opens it exactly.
  const int64_t start = active_ns - (active_ns - first) / 2;
  return start / 1000000000 * 1000000000;
}

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
  Window baseline{&a.baseline, {}}, incident{&a.incident, {}};
  RETURN_IF_ERROR(ScanWindow(sources_.traces, q.service, a.baseline_from_ns, a.baseline_to_ns,
                             options_.max_requests_per_window, options_.max_fetched_per_window,
                             &routes, &versions, &baseline));
  // A default baseline is bounded by the data that exists: when the
  // service's requests start later than the baseline window, it starts
  // there (and the conclusion says when it is short).
  if (!q.baseline_from_ns && !a.baseline.empty()) {
    int64_t first = INT64_MAX;
    for (const Request& r : a.baseline) first = std::min(first, r.start_ns);
    if (first - a.baseline_from_ns > kBaselineGapNs) {
      a.baseline_from_ns = first / 1000000000 * 1000000000;
      report.baseline_from_ns = a.baseline_from_ns;
    }
  }
  // Slow = beyond the baseline p99 of the route (of all routes for a route
  // the baseline never saw): the incident's requests are sampled as slow or
  // failed, and normal, separately.
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
  RETURN_IF_ERROR(ScanWindow(sources_.traces, q.service, q.from_ns, q.to_ns,
                             options_.max_requests_per_window, options_.max_fetched_per_window,
                             &routes, &versions, &incident));
  // Uniform samples of each group, then only those traces are read whole.
  Reservoir<size_t> baseline_sample(options_.sample_per_group, 1);
  Reservoir<size_t> suspect_sample(options_.sample_per_group, 2);
  Reservoir<size_t> normal_sample(options_.sample_per_group, 3);
  size_t slot;
  for (size_t i = 0; i < a.baseline.size(); ++i) {
    if (baseline_sample.Admit(&slot)) baseline_sample.Put(slot, i);
  }
  for (size_t i = 0; i < a.incident.size(); ++i) {
    const Request& r = a.incident[i];
    const int64_t slow = r.route < slow_ns.size() ? slow_ns[r.route] : global_slow;
    Reservoir<size_t>& group = r.error || r.duration_ns > slow ? suspect_sample : normal_sample;
    if (group.Admit(&slot)) group.Put(slot, i);
  }
  // Logs are read for a prefix of each sample (log_traces_per_group).
  for (Reservoir<size_t>* r : {&baseline_sample, &suspect_sample, &normal_sample}) r->Shuffle();
  a.baseline_sample = FetchSample(sources_.traces, q.service, baseline, baseline_sample.items());
  a.suspect_sample = FetchSample(sources_.traces, q.service, incident, suspect_sample.items());
  a.normal_sample = FetchSample(sources_.traces, q.service, incident, normal_sample.items());
  a.verdicts.resize(a.routes.size());
  report.baseline_requests = static_cast<int64_t>(a.baseline.size());
  report.incident_requests = static_cast<int64_t>(a.incident.size());

  JudgeRoutes(&a, &report);
  if (!q.alert.empty()) {
    Finding f;
    // In its own words: a pending alert has not fired (yet).
    if (q.alert_state == "resolved") {
      f.summary = "alert " + q.alert + " fired and has resolved";
    } else {
      f.summary = "alert " + q.alert + " is " + (q.alert_state.empty() ? "active" : q.alert_state);
    }
    f.signal = "alert";
    f.subject = {{"alertname", q.alert}};
    if (!q.alert_state.empty()) f.subject.emplace_back("alertstate", q.alert_state);
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
  const int64_t baseline_ns = report.baseline_to_ns - report.baseline_from_ns;
  if (a.baseline.empty()) {
    report.conclusion += " There are no requests of " + q.service +
                         " in the baseline window, so nothing could be compared: pass an "
                         "earlier window or a baseline.";
  } else if (!q.baseline_from_ns && baseline_ns < kMinBaselineNs) {
    report.conclusion += " The baseline is short: " + q.service + "'s data starts at " +
                         internal::FormatTime(report.baseline_from_ns) + ", " +
                         std::to_string(baseline_ns / 1000000000) +
                         " s before the window, so its figures are less certain.";
  }
  return report;
}

}  // namespace quartet::incident
