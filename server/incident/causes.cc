// The "why" stage: evidence that explains the regression — measurements
// that differ between the bad requests and the others, the deploy or
// migration that preceded the onset, a version change, the upstream status
// failed calls carry, CPU profile frames whose share grew — and the
// symptoms (saturated gauges), which are listed as such and ranked last.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "server/incident/analysis.h"
#include "server/incident/links.h"
#include "server/incident/stats.h"

namespace quartet::incident::internal {
namespace {

constexpr size_t kMinValues = 5;
// Scores: the kinds of evidence rank in this order when each is strong.
constexpr double kAnnotationScore = 0.95;
constexpr double kUpstreamScore = 0.9;
constexpr double kVersionScore = 0.85;
constexpr double kSymptomScore = 0.02;

// Measurements of the slowness itself restate "it is slow"; they explain
// nothing.
bool IsDurationKey(const std::string& key) {
  std::string k = key;
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word :
       {"duration", "latency", "elapsed", "took", "time", "_ms", "_us", "_ns", "seconds"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return Quantile(v, 0.5);
}

void FindMeasurements(const Analysis& a, Report* report) {
  std::map<std::string, std::vector<double>> bad, ref;
  std::set<std::string> from_logs;
  for (const Sampled* s : a.bad) {
    for (const auto& [k, v] : s->detail.numbers) {
      if (!IsDurationKey(k)) bad[k].push_back(v);
    }
    for (const std::string& k : s->detail.log_keys) from_logs.insert(k);
  }
  // The others on the same routes: the baseline's and the incident's
  // normal requests.
  for (const Sampled* s : a.normal) {
    const RouteVerdict& v = a.verdicts[s->route];
    if (!v.latency_broken && !v.error_broken) continue;
    for (const auto& [k, val] : s->detail.numbers) {
      if (bad.count(k)) ref[k].push_back(val);
    }
  }
  for (auto& [key, values] : bad) {
    std::vector<double>& others = ref[key];
    if (values.size() < kMinValues || others.size() < kMinValues) continue;
    std::sort(others.begin(), others.end());
    const double mb = Median(values), mo = Quantile(others, 0.5);
    const bool up = mb > mo;
    const double lo = std::min(mb, mo), hi = std::max(mb, mo);
    if (hi <= 0 || hi < 3 * std::max(lo, 1e-9)) continue;
    // Most bad values must lie beyond the bulk of the others, not just the
    // medians differ.
    const double edge = Quantile(others, up ? 0.75 : 0.25);
    size_t beyond = 0;
    for (double v : values) beyond += up ? v > edge : v < edge;
    const double share = static_cast<double>(beyond) / static_cast<double>(values.size());
    if (share < 0.6) continue;
    const double ratio = hi / std::max(lo, 1.0);
    const bool log = from_logs.count(key) > 0;
    Finding f;
    f.summary = std::string(log ? "log attribute " : "span attribute ") + key + " is " +
                FormatNumber(mb) + " (median) in the slow or failed requests against " +
                FormatNumber(mo) + " in the others";
    f.signal = log ? "log attribute" : "span attribute";
    f.subject = {{"attribute", key}};
    f.baseline = mo;
    f.incident = mb;
    f.unit = "";
    f.score = 0.4 + 0.45 * share * std::min(1.0, std::log10(std::max(ratio, 1.0)) / 2);
    const double threshold = std::sqrt(std::max(lo, 1.0) * hi);  // between the two groups
    const std::string cmp = std::string(up ? " > " : " < ") + FormatNumber(std::round(threshold));
    if (log) {
      f.links = {
          LogsView("{service_name=" + QuoteQueryString(a.query->service) + "} | " + key + cmp,
                   a.onset_ns, a.query->to_ns)};
    } else {
      const std::string q = "{ resource.service.name = " + QuoteQueryString(a.query->service) +
                            " && ." + key + cmp + " }";
      f.links = {TracesView(q, a.onset_ns, a.query->to_ns)};
    }
    report->why.push_back(std::move(f));
  }
}

// Ranks (1-based, ties averaged) of `v`.
std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
  std::vector<double> ranks(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = (static_cast<double>(i + j) / 2) + 1;
    i = j + 1;
  }
  return ranks;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

// A measurement that rises with latency across the sampled requests of the
// broken routes. The median test above misses it when the slow requests mix
// two populations — the requests that do the heavy work and those queued
// behind them (a saturated pool): then the heavy value is not the median of
// the slow, but the slowest requests still carry it.
void FindMeasurementTrends(const Analysis& a, Report* report) {
  std::set<std::string> reported;
  for (const Finding& f : report->why) {
    for (const auto& [k, v] : f.subject) {
      if (k == "attribute") reported.insert(v);
    }
  }
  // (key, route) -> (duration, value): per route, since routes differ in both.
  std::map<std::pair<std::string, uint32_t>, std::vector<std::pair<double, double>>> pairs;
  std::set<std::string> from_logs;
  // Within the incident, after the onset: before it the same values may
  // have been harmless (the heavy user was fast while the index existed).
  for (const std::vector<Sampled>* group : {&a.suspect_sample, &a.normal_sample}) {
    for (const Sampled& sampled : *group) {
      const Sampled* s = &sampled;
      if (s->facts.start_ns < a.onset_ns || !a.verdicts[s->route].latency_broken) continue;
      for (const auto& [k, val] : s->detail.numbers) {
        if (IsDurationKey(k) || reported.count(k)) continue;
        pairs[{k, s->route}].emplace_back(static_cast<double>(s->facts.duration_ns), val);
      }
      for (const std::string& k : s->detail.log_keys) from_logs.insert(k);
    }
  }
  for (auto& [key_route, p] : pairs) {
    const std::string& key = key_route.first;
    if (p.size() < 20 || reported.count(key)) continue;
    std::sort(p.begin(), p.end());  // by duration
    std::vector<double> d, v;
    for (const auto& [dur, val] : p) d.push_back(dur), v.push_back(val);
    const double rho = Pearson(Ranks(d), Ranks(v));
    // The slowest quarter against the fastest half.
    std::vector<double> slow(v.end() - static_cast<std::ptrdiff_t>(v.size() / 4), v.end());
    std::vector<double> fast(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2));
    const double ms = Median(slow), mf = Median(fast);
    if (ms <= 0 || ms < 3 * std::max(mf, 1e-9)) continue;
    const double threshold = std::round(std::sqrt(std::max(mf, 1.0) * ms));
    // When the slow mix the heavy requests with those queued behind them in
    // about equal numbers, the rank correlation stays low although the high
    // values are nearly all among the slow: then it is their share among the
    // slow against the others (as "who" tests a value), over the route's
    // slow threshold.
    int64_t high_slow = 0, n_slow = 0, high_other = 0, n_other = 0;
    for (const auto& [dur, val] : p) {
      const bool is_slow = dur > static_cast<double>(a.verdicts[key_route.second].slow_ns);
      (is_slow ? n_slow : n_other) += 1;
      (is_slow ? high_slow : high_other) += val > threshold;
    }
    const double share_slow =
        n_slow > 0 ? static_cast<double>(high_slow) / static_cast<double>(n_slow) : 0;
    const double share_other =
        n_other > 0 ? static_cast<double>(high_other) / static_cast<double>(n_other) : 0;
    const bool over_represented = high_slow >= 5 && share_slow >= 0.25 &&
                                  Lift(high_slow, n_slow, high_other, n_other) >= 3 &&
                                  TwoProportionZ(high_slow, n_slow, high_other, n_other) >= 3;
    if (rho < 0.5 && !over_represented) continue;
    const bool log = from_logs.count(key) > 0;
    Finding f;
    const std::string what = std::string(log ? "log attribute " : "span attribute ") + key;
    if (rho >= 0.5) {
      f.summary = what + " rises with latency (rank correlation " +
                  FormatNumber(std::round(rho * 100) / 100) + "): " + FormatNumber(ms) +
                  " (median) in the slowest quarter of requests against " + FormatNumber(mf) +
                  " in the fastest half";
    } else {
      f.summary = what + " is over " + FormatNumber(threshold) + " in " +
                  FormatPercent(share_slow) + " of the slow requests against " +
                  FormatPercent(share_other) + " of the others (" + FormatNumber(ms) +
                  " median in the slowest quarter)";
    }
    f.signal = log ? "log attribute" : "span attribute";
    f.subject = {{"attribute", key}};
    f.baseline = mf;
    f.incident = ms;
    f.unit = "";
    const double strength = std::max(rho, share_slow - share_other);
    f.score = 0.4 + 0.4 * strength * std::min(1.0, std::log10(ms / std::max(mf, 1.0)) / 2);
    const std::string cmp = " > " + FormatNumber(threshold);
    if (log) {
      f.links = {
          LogsView("{service_name=" + QuoteQueryString(a.query->service) + "} | " + key + cmp,
                   a.onset_ns, a.query->to_ns)};
    } else {
      f.links = {TracesView("{ resource.service.name = " + QuoteQueryString(a.query->service) +
                                " && ." + key + cmp + " }",
                            a.onset_ns, a.query->to_ns)};
    }
    report->why.push_back(std::move(f));
    reported.insert(key);
  }
}

// Healthy stretch between an annotation and the onset: the annotation did
// not start the regression. Any stretch of 5 min (at least three buckets)
// counts, not the whole interval pooled: when latency creeps up, the
// minutes just before the detected onset are already worse than the
// baseline, yet the annotation long before them was followed by a healthy
// stretch.
bool HealthyBetween(const Analysis& a, int64_t from_ns, int64_t to_ns) {
  const int64_t stretch = std::max<int64_t>(5 * 60 * 1000000000LL, 3 * a.bucket_ns);
  if (to_ns - from_ns < stretch) return false;
  const double healthy = a.baseline_bad_share * 1.5 + 0.01;
  constexpr int kSteps = 5;  // a stretch slides by a fifth of its length
  const int64_t step = stretch / kSteps;
  const size_t n = static_cast<size_t>((to_ns - from_ns) / step);
  std::vector<RateBucket> steps(n);
  RateBucket all;
  for (const std::vector<Request>* rs : {&a.baseline, &a.incident}) {
    for (const Request& r : *rs) {
      if (r.start_ns < from_ns || r.start_ns >= to_ns) continue;
      const RouteVerdict& v = a.verdicts[r.route];
      if (!v.latency_broken && !v.error_broken) continue;
      const bool bad = a.IsBad(r.route, r.duration_ns, r.error);
      ++all.total;
      all.bad += bad;
      const size_t k = static_cast<size_t>((r.start_ns - from_ns) / step);
      if (k < n) ++steps[k].total, steps[k].bad += bad;
    }
  }
  for (size_t k = 0; k + kSteps <= n; ++k) {
    RateBucket w;
    for (size_t j = k; j < k + kSteps; ++j) w.total += steps[j].total, w.bad += steps[j].bad;
    if (w.total >= 50 && static_cast<double>(w.bad) <= healthy * static_cast<double>(w.total)) {
      return true;
    }
  }
  if (all.total < 50)
    return from_ns < a.baseline_from_ns;  // no data: healthy if before the baseline
  return static_cast<double>(all.bad) <= healthy * static_cast<double>(all.total);
}

// The services whose spans "where" names besides the one asked about (a
// slow or failing callee), best first: their deploys and versions are
// evidence too.
std::vector<std::string> CalleesOfWhere(const Analysis& a, const Report& report) {
  std::vector<const Finding*> where;
  for (const Finding& f : report.where) where.push_back(&f);
  std::stable_sort(where.begin(), where.end(),
                   [](const Finding* x, const Finding* y) { return x->score > y->score; });
  std::vector<std::string> out;
  for (const Finding* f : where) {
    for (const auto& [k, v] : f->subject) {
      if (k == "service" && v != a.query->service && !v.empty() &&
          std::find(out.begin(), out.end(), v) == out.end() && out.size() < 3) {
        out.push_back(v);
      }
    }
  }
  return out;
}

void FindAnnotation(const Analysis& a, const Sources& sources, Report* report) {
  if (!sources.annotations) return;
  const int64_t lookback =
      std::max<int64_t>(int64_t{3600} * 1000000000, a.query->to_ns - a.query->from_ns);
  const int64_t tolerance = std::max<int64_t>(a.bucket_ns, int64_t{60} * 1000000000);
  // The service's own annotations and those of the callees "where" names
  // (a callee's deploy that slowed it down), each once.
  std::vector<std::string> services = {a.query->service};
  for (std::string& s : CalleesOfWhere(a, *report)) services.push_back(std::move(s));
  std::vector<Annotation> list;
  std::set<int64_t> ids;
  for (const std::string& service : services) {
    Result<std::vector<Annotation>> found =
        sources.annotations(service, {a.onset_ns - lookback, a.onset_ns + tolerance});
    if (!found.ok()) continue;
    for (Annotation& ann : *found) {
      if (ids.insert(ann.id).second) list.push_back(std::move(ann));
    }
  }
  std::sort(list.begin(), list.end(),
            [](const Annotation& x, const Annotation& y) { return x.time_ns > y.time_ns; });
  for (const Annotation& ann : list) {
    if (ann.time_ns > a.onset_ns + tolerance) continue;
    if (HealthyBetween(a, ann.time_ns + tolerance, a.onset_ns)) break;  // older ones even less
    Finding f;
    std::string tags;
    for (const std::string& t : ann.tags) tags += (tags.empty() ? "" : ", ") + t;
    f.summary = "annotation \"" + ann.text + "\" at " + FormatTime(ann.time_ns) +
                (tags.empty() ? "" : " [" + tags + "]") + " preceded the onset at " +
                FormatTime(a.onset_ns);
    f.signal = "annotation";
    f.subject = {{"text", ann.text}, {"time", FormatTime(ann.time_ns)}};
    for (const std::string& t : ann.tags) {
      size_t eq = t.find('=');
      if (eq != std::string::npos) f.subject.emplace_back(t.substr(0, eq), t.substr(eq + 1));
    }
    const double gap_min = static_cast<double>(a.onset_ns - ann.time_ns) / 60e9;
    f.baseline = std::nullopt;
    f.incident = gap_min;
    f.unit = "minutes before onset";
    f.score = kAnnotationScore;
    f.links = {AnnotationsApi(ann.time_ns - 60000000000LL, ann.time_ns + 60000000000LL)};
    report->why.push_back(std::move(f));
    break;
  }
}

void FindVersionChange(const Analysis& a, Report* report) {
  std::unordered_map<uint32_t, int64_t> base, bad;
  for (const Request& r : a.baseline) ++base[r.version];
  int64_t nbad = 0;
  for (const Request& r : a.incident) {
    if (r.start_ns >= a.onset_ns && a.IsBad(r.route, r.duration_ns, r.error)) {
      ++bad[r.version];
      ++nbad;
    }
  }
  if (nbad < 5 || a.baseline.empty()) return;
  std::string old_version;
  int64_t old_n = 0;
  for (const auto& [v, n] : base) {
    if (n > old_n) old_n = n, old_version = a.versions[v];
  }
  for (const auto& [v, n] : bad) {
    const double share = static_cast<double>(n) / static_cast<double>(nbad);
    const double before = static_cast<double>(base[v]) / static_cast<double>(a.baseline.size());
    if (a.versions[v].empty() || share < 0.5 || before > 0.05) continue;
    Finding f;
    f.summary = "service.version changed: " + (old_version.empty() ? "(none)" : old_version) +
                " in the baseline, " + a.versions[v] + " on " + FormatPercent(share) +
                " of the slow or failed requests";
    f.signal = "version change";
    f.subject = {{"service.version", a.versions[v]},
                 {"previous", old_version},
                 {"service", a.query->service}};
    f.baseline = before;
    f.incident = share;
    f.unit = "share";
    f.score = kVersionScore * share;
    const std::string q = "{ resource.service.name = " + QuoteQueryString(a.query->service) +
                          " && resource.service.version = " + QuoteQueryString(a.versions[v]) +
                          " }";
    f.links = {TracesView(q, a.onset_ns, a.query->to_ns)};
    report->why.push_back(std::move(f));
  }
}

// The same for the services the requests call: a callee's version that the
// sampled bad requests went through and the baseline's did not.
void FindCalleeVersionChange(const Analysis& a, Report* report) {
  if (a.bad.size() < kMinValues || a.reference.empty()) return;
  std::map<std::pair<std::string, std::string>, int64_t> bad, ref;
  std::map<std::string, int64_t> bad_calls;  // bad requests that reached the service
  for (const Sampled* s : a.bad) {
    std::set<std::string> services;
    for (const auto& sv : s->detail.callee_versions) {
      ++bad[sv];
      services.insert(sv.first);
    }
    for (const std::string& svc : services) ++bad_calls[svc];
  }
  std::map<std::string, int64_t> ref_calls;
  for (const Sampled* s : a.reference) {
    std::set<std::string> services;
    for (const auto& sv : s->detail.callee_versions) {
      ++ref[sv];
      services.insert(sv.first);
    }
    for (const std::string& svc : services) ++ref_calls[svc];
  }
  for (const auto& [sv, n] : bad) {
    const auto& [service, version] = sv;
    const int64_t calls = bad_calls[service], before_calls = ref_calls[service];
    if (calls < static_cast<int64_t>(kMinValues) || before_calls < static_cast<int64_t>(kMinValues))
      continue;
    const double share = static_cast<double>(n) / static_cast<double>(calls);
    const double before = static_cast<double>(ref[sv]) / static_cast<double>(before_calls);
    if (share < 0.5 || before > 0.05) continue;
    std::string previous;
    int64_t previous_n = 0;
    for (const auto& [other, m] : ref) {
      if (other.first == service && m > previous_n) previous = other.second, previous_n = m;
    }
    Finding f;
    f.summary = "service.version of " + service +
                " (called by the requests) changed: " + (previous.empty() ? "(none)" : previous) +
                " in the baseline, " + version + " on " + FormatPercent(share) +
                " of the slow or failed requests that called it";
    f.signal = "version change";
    f.subject = {{"service.version", version}, {"previous", previous}, {"service", service}};
    f.baseline = before;
    f.incident = share;
    f.unit = "share";
    f.score = kVersionScore * share * 0.95;
    const std::string q = "{ resource.service.name = " + QuoteQueryString(service) +
                          " && resource.service.version = " + QuoteQueryString(version) + " }";
    f.links = {TracesView(q, a.onset_ns, a.query->to_ns)};
    report->why.push_back(std::move(f));
  }
}

// The exceptions the failed requests carry (span exception events, status
// messages, log lines' exception.* attributes) that the baseline's do not.
void FindExceptions(const Analysis& a, Report* report) {
  std::map<std::pair<std::string, std::string>, int64_t> bad, ref;
  std::map<std::pair<std::string, std::string>, const Sampled*> example;
  int64_t failed = 0;
  for (const Sampled* s : a.bad) {
    if (!s->facts.error) continue;
    // A request whose logs were not read may still have thrown what its
    // log line would say: only those with some evidence are counted.
    if (s->detail.exceptions.empty() && !s->detail.logs_read) continue;
    ++failed;
    for (const auto& e : s->detail.exceptions) {
      ++bad[e];
      example.emplace(e, s);
    }
  }
  if (failed < static_cast<int64_t>(kMinValues)) return;
  for (const Sampled* s : a.reference) {
    for (const auto& e : s->detail.exceptions) ++ref[e];
  }
  std::vector<std::pair<double, std::pair<std::string, std::string>>> found;
  for (const auto& [e, n] : bad) {
    const double share = static_cast<double>(n) / static_cast<double>(failed);
    const double before =
        a.reference.empty() ? 0
                            : static_cast<double>(ref[e]) / static_cast<double>(a.reference.size());
    if (share < 0.3 || share - before < 0.2) continue;
    found.emplace_back(share, e);
  }
  std::sort(found.rbegin(), found.rend());
  if (found.size() > 3) found.resize(3);
  for (const auto& [share, e] : found) {
    const auto& [type, message] = e;
    const double before =
        a.reference.empty() ? 0
                            : static_cast<double>(ref[e]) / static_cast<double>(a.reference.size());
    Finding f;
    std::string text = type.empty() ? message : message.empty() ? type : type + ": " + message;
    f.summary = "failed requests throw " + text + " (" + FormatPercent(share) + " of them, " +
                FormatPercent(before) + " in the baseline)";
    f.signal = "exception";
    f.subject = {{"exception.type", type}, {"exception.message", message}};
    f.baseline = before;
    f.incident = share;
    f.unit = "share";
    f.score = kUpstreamScore * share;
    const std::string q =
        "{ resource.service.name = " + QuoteQueryString(a.query->service) + " && status = error }";
    f.links = {TracesView(q, a.onset_ns, a.query->to_ns),
               TraceView(example[e]->facts.trace_id, SpanId{}),
               TraceLogsApi(example[e]->facts.trace_id)};
    report->why.push_back(std::move(f));
  }
}

void FindUpstreamStatus(const Analysis& a, Report* report) {
  std::map<std::pair<std::string, std::string>, int64_t> bad, ref;
  int64_t failed = 0;
  for (const Sampled* s : a.bad) {
    if (!s->facts.error) continue;
    ++failed;
    for (const auto& u : s->detail.upstream_errors) ++bad[u];
  }
  if (failed < 5) return;
  for (const Sampled* s : a.reference) {
    for (const auto& u : s->detail.upstream_errors) ++ref[u];
  }
  for (const auto& [u, n] : bad) {
    const double share = static_cast<double>(n) / static_cast<double>(failed);
    const double before =
        a.reference.empty() ? 0
                            : static_cast<double>(ref[u]) / static_cast<double>(a.reference.size());
    if (share < 0.3 || share - before < 0.2) continue;
    Finding f;
    f.summary = "failed requests carry upstream status " + u.second + " from " + u.first + " (" +
                FormatPercent(share) + " of them)";
    f.signal = "upstream status";
    f.subject = {{"upstream", u.first}, {"status", u.second}};
    f.baseline = before;
    f.incident = share;
    f.unit = "share";
    f.score = kUpstreamScore * share;
    const std::string q = "{ resource.service.name = " + QuoteQueryString(a.query->service) +
                          " && kind = client && status = error }";
    f.links = {TracesView(q, a.onset_ns, a.query->to_ns)};
    report->why.push_back(std::move(f));
  }
}

void FindProfileFrames(const Analysis& a, const Sources& sources, Report* report) {
  if (!sources.profiles) return;
  auto shares = [&](store::TimeRange range) {
    std::unordered_map<std::string, double> out;
    Result<std::vector<std::pair<std::string, double>>> frames =
        sources.profiles(a.query->service, range);
    if (!frames.ok()) return out;
    double total = 0;
    for (const auto& [name, v] : *frames) total += v;
    if (total <= 0) return out;
    for (const auto& [name, v] : *frames) out[name] += v / total;
    return out;
  };
  std::unordered_map<std::string, double> before = shares({a.baseline_from_ns, a.baseline_to_ns});
  std::unordered_map<std::string, double> after = shares({a.onset_ns, a.query->to_ns});
  std::vector<std::pair<double, std::string>> grown;
  for (const auto& [name, s] : after) {
    const double growth = s - (before.count(name) ? before[name] : 0);
    if (growth >= 0.05) grown.emplace_back(growth, name);
  }
  std::sort(grown.rbegin(), grown.rend());
  if (grown.size() > 3) grown.resize(3);
  for (const auto& [growth, name] : grown) {
    const double b = before.count(name) ? before[name] : 0;
    Finding f;
    f.summary = "CPU profile: function " + name + " went from " + FormatPercent(b) + " to " +
                FormatPercent(b + growth) + " of the samples";
    f.signal = "profile";
    f.subject = {{"function", name}};
    f.baseline = b;
    f.incident = b + growth;
    f.unit = "share";
    f.score = 0.5 + 0.4 * std::min(1.0, growth * 2);
    f.links = {"/ui/profiles?service=" + UrlEncode(a.query->service) +
               "&from=" + std::to_string(a.onset_ns / 1000000000) +
               "&to=" + std::to_string(a.query->to_ns / 1000000000)};
    report->why.push_back(std::move(f));
  }
}

// Gauges that saturate during the incident (connection pools, queues,
// in-flight counts) follow the slow requests: reported so the reader is
// not misled by them, as symptoms.
void FindSymptoms(const Analysis& a, const Sources& sources, Report* report) {
  if (sources.metrics == nullptr) return;
  const std::string names =
      ".*(active|inflight|in_flight|pool|queue|connections|saturat|utiliz|busy|waiting|pending).*";
  std::map<store::Labels, std::pair<double, double>> seen;  // series -> (baseline, incident) means
  const int64_t lo_ms = a.baseline_from_ns / 1000000, hi_ms = a.query->to_ns / 1000000;
  for (const char* label : {"service_name", "job", "service"}) {
    std::vector<store::LabelMatch> m = {{"__name__", store::LabelMatch::Op::kRe, names},
                                        {label, store::LabelMatch::Op::kEq, a.query->service}};
    Status st = sources.metrics->Select(
        m, lo_ms, hi_ms, [&](const store::Labels& series, std::span<const store::Sample> samples) {
          if (seen.count(series) || seen.size() > 200) return seen.size() <= 200;
          double sb = 0, si = 0;
          int nb = 0, ni = 0;
          for (const store::Sample& s : samples) {
            const int64_t t = s.t_ms * 1000000;
            if (!std::isfinite(s.v)) continue;
            if (t >= a.baseline_from_ns && t < a.baseline_to_ns) sb += s.v, ++nb;
            if (t >= a.onset_ns && t < a.query->to_ns) si += s.v, ++ni;
          }
          if (nb > 0 && ni > 0) seen[series] = {sb / nb, si / ni};
          return true;
        });
    if (!st.ok()) return;
  }
  int reported = 0;
  for (const auto& [series, means] : seen) {
    const auto [b, i] = means;
    std::string name;
    for (const auto& [k, v] : series) {
      if (k == "__name__") name = v;
    }
    if (name.size() > 6 && (name.ends_with("_total") || name.ends_with("_bucket") ||
                            name.ends_with("_count") || name.ends_with("_sum"))) {
      continue;  // counters and histograms are not levels
    }
    if (i < 1.5 * b || i - b < 1e-9 || reported == 3) continue;
    Finding f;
    f.summary = "symptom, not the cause: " + name + " rose from " + FormatNumber(b) + " to " +
                FormatNumber(i) + " (it follows the slower requests)";
    f.signal = "metric (symptom)";
    f.subject = {{"metric", name}, {"role", "symptom"}};
    f.baseline = b;
    f.incident = i;
    f.unit = "";
    f.score = kSymptomScore;
    std::string sel = name + "{";
    bool first = true;
    for (const auto& [k, v] : series) {
      if (k == "__name__") continue;
      sel += (first ? "" : ",") + k + "=" + QuoteQueryString(v);
      first = false;
    }
    f.links = {MetricsView(sel + "}", a.baseline_from_ns, a.query->to_ns)};
    report->why.push_back(std::move(f));
    ++reported;
  }
}

}  // namespace

void FindWhy(const Analysis& a, const Sources& sources, Report* report) {
  if (a.bad.size() >= kMinValues) {
    FindMeasurements(a, report);
    FindMeasurementTrends(a, report);
  }
  FindAnnotation(a, sources, report);
  FindVersionChange(a, report);
  FindCalleeVersionChange(a, report);
  FindUpstreamStatus(a, report);
  FindExceptions(a, report);
  FindProfileFrames(a, sources, report);
  FindSymptoms(a, sources, report);
}

}  // namespace quartet::incident::internal
