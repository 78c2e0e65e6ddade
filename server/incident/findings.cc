// The "who" and "where" stages, the groups they compare, and the
// conclusion paragraph.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <unordered_map>

#include "server/incident/analysis.h"
#include "server/incident/links.h"
#include "server/incident/stats.h"

namespace quartet::incident::internal {
namespace {

// Fewer bad requests than this in the sample: no who/where/why (any share
// would be noise).
constexpr size_t kMinBad = 5;
constexpr int64_t kMs = 1000000;

// Keys that are the same on every request of a service or that identify a
// single request: never an answer to "who".
bool IgnoredForWho(const std::string& key) {
  return key == "service.name" || key.rfind("telemetry.", 0) == 0 ||
         key.rfind("process.", 0) == 0 || key == "otel.scope.name" || key == "request_id" ||
         key == "http.request_id";
}

bool LooksNumeric(const std::string& v) {
  if (v.empty() || v.size() > 20) return false;
  size_t i = v[0] == '-' ? 1 : 0;
  if (i == v.size()) return false;
  for (; i < v.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

// A TraceQL condition on any-scope attribute `key`.
std::string AttributeCondition(const std::string& key, const std::string& value) {
  return "." + key + " = " + (LooksNumeric(value) ? value : QuoteQueryString(value));
}

}  // namespace

std::string FormatMs(double ns) {
  char buf[32];
  const double ms = ns / 1e6;
  std::snprintf(buf, sizeof(buf), ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.2f ms", ms);
  return buf;
}

std::string FormatPercent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), share >= 0.1 ? "%.0f%%" : "%.1f%%", share * 100);
  return buf;
}

std::string FormatTime(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatNumber(double v) {
  char buf[32];
  if (std::fabs(v) >= 1e15 || v == std::floor(v)) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g", v);
  }
  return buf;
}

std::string RequestSelector(const Analysis& a, const std::string& route) {
  std::string q = "{ resource.service.name = " + QuoteQueryString(a.query->service);
  if (!route.empty()) {
    // Routes come from http.route when the entry span has one (they start
    // with '/'), else from the span name.
    q += route[0] == '/' ? " && span.http.route = " : " && name = ";
    q += QuoteQueryString(route);
  }
  return q + " }";
}

void SelectGroups(Analysis* a) {
  for (const Sampled& s : a->suspect_sample) {
    if (s.facts.start_ns >= a->onset_ns && a->IsBad(s.route, s.facts.duration_ns, s.facts.error)) {
      a->bad.push_back(&s);
    } else {
      a->normal.push_back(&s);
    }
  }
  for (const Sampled& s : a->normal_sample) a->normal.push_back(&s);
  for (const Sampled& s : a->baseline_sample) {
    a->normal.push_back(&s);
    const RouteVerdict& v = a->verdicts[s.route];
    if (v.latency_broken || v.error_broken) a->reference.push_back(&s);
  }
  if (a->reference.size() < kMinBad) {
    a->reference.clear();
    for (const Sampled& s : a->baseline_sample) a->reference.push_back(&s);
  }
}

void FindWho(const Analysis& a, Report* report) {
  if (a.bad.size() < kMinBad || a.normal.empty()) return;
  struct Counts {
    int64_t bad = 0, normal = 0, baseline = 0;
  };
  // Log lines were read for a sample of the requests only: a value that only
  // logs carry is compared among the requests whose logs were read, or every
  // constant of the log lines (host, pid, sdk) would look over-represented.
  std::set<std::string> log_only, inner;
  int64_t nb_logs = 0, nn_logs = 0;
  for (const Sampled* s : a.bad) {
    log_only.insert(s->detail.log_feature_keys.begin(), s->detail.log_feature_keys.end());
    inner.insert(s->detail.inner_keys.begin(), s->detail.inner_keys.end());
    nb_logs += s->detail.logs_read;
  }
  for (const Sampled* s : a.normal) nn_logs += s->detail.logs_read;
  std::map<std::pair<std::string, std::string>, Counts> counts;
  for (const Sampled* s : a.bad) {
    for (const auto& f : s->detail.features) {
      if (!IgnoredForWho(f.first) && !RestatesFailure(f.first, f.second)) ++counts[f].bad;
    }
  }
  for (const Sampled* s : a.normal) {
    for (const auto& f : s->detail.features) {
      auto it = counts.find(f);
      if (it != counts.end()) ++it->second.normal;
    }
  }
  int64_t nbase_all = 0, nbase_logs = 0;
  for (const Sampled& s : a.baseline_sample) {
    ++nbase_all;
    nbase_logs += s.detail.logs_read;
    for (const auto& f : s.detail.features) {
      auto it = counts.find(f);
      if (it != counts.end()) ++it->second.baseline;
    }
  }
  const int64_t nb_all = static_cast<int64_t>(a.bad.size());
  const int64_t nn_all = static_cast<int64_t>(a.normal.size());
  auto over_represented = [](int64_t hits_a, int64_t n_a, int64_t hits_b, int64_t n_b) {
    const double pa = static_cast<double>(hits_a) / static_cast<double>(n_a);
    const double pb = static_cast<double>(hits_b) / static_cast<double>(n_b);
    return Lift(hits_a, n_a, hits_b, n_b) >= 2 && pa - pb >= 0.15 &&
           TwoProportionZ(hits_a, n_a, hits_b, n_b) >= 3;
  };
  for (const auto& [feature, c] : counts) {
    const bool from_logs = log_only.count(feature.first) > 0;
    const int64_t nb = from_logs ? nb_logs : nb_all, nn = from_logs ? nn_logs : nn_all;
    const int64_t nbase = from_logs ? nbase_logs : nbase_all;
    if (nb == 0 || nn == 0) continue;
    if (c.bad < std::max<int64_t>(3, nb / 5)) continue;
    const double pb = static_cast<double>(c.bad) / static_cast<double>(nb);
    const double pn = static_cast<double>(c.normal) / static_cast<double>(nn);
    const double lift = Lift(c.bad, nb, c.normal, nn);
    // Against all the others; or, for a value most bad requests carry and
    // the baseline did not (a new version that fails one request in five),
    // against the baseline: the incident's own normal requests carry it too,
    // which hides it from the first comparison, yet it is who is affected.
    // Ranked by the first comparison, so a value that came with the
    // incident but also on its normal requests ranks low.
    const bool against_all = over_represented(c.bad, nb, c.normal, nn);
    const bool against_baseline =
        pb >= 0.5 && pb > pn && nbase > 0 && over_represented(c.bad, nb, c.baseline, nbase);
    if (!against_all && !against_baseline) continue;
    Finding f;
    f.summary = feature.first + "=" + feature.second + ": " + FormatPercent(pb) +
                " of the slow or failed requests, " + FormatPercent(pn) + " of the others (lift " +
                FormatNumber(std::round(lift * 10) / 10) + ")";
    if (!against_all) {
      f.summary += ", " +
                   FormatPercent(static_cast<double>(c.baseline) / static_cast<double>(nbase)) +
                   " of the baseline's";
    }
    f.signal = "attribute";
    f.subject = {{feature.first, feature.second}};
    f.baseline = pn;
    f.incident = pb;
    f.unit = "share";
    f.score = (pb - pn) * std::min(1.0, std::log2(std::max(lift, 1.0)) / 4);
    // Attributes only inner spans carry (a database call's server.address)
    // describe where the requests went; of two values that split the
    // requests alike (a zone and the cache replica in it), the request's
    // own (its resource, its entry span, its log lines) says who.
    if (inner.count(feature.first) > 0 && !from_logs) f.score *= 0.9;
    // A share of a handful of requests is a weaker answer than the same
    // share of hundreds.
    f.score *= static_cast<double>(nb) / static_cast<double>(nb + 5);
    const std::string q = RequestSelector(a, "").substr(0, RequestSelector(a, "").size() - 2) +
                          " && " + AttributeCondition(feature.first, feature.second) + " }";
    f.links = {TracesView(q, a.onset_ns, a.query->to_ns),
               TempoSearch(q, a.onset_ns, a.query->to_ns)};
    report->who.push_back(std::move(f));
  }
}

void FindWhere(const Analysis& a, Report* report) {
  if (a.bad.size() < kMinBad || a.reference.empty()) return;
  std::vector<const Sampled*> slow, failed;
  for (const Sampled* s : a.bad) {
    const RouteVerdict& v = a.verdicts[s->route];
    if (v.error_broken && s->facts.error) {
      failed.push_back(s);
    } else {
      slow.push_back(s);
    }
  }
  const double nr = static_cast<double>(a.reference.size());
  auto subject_of = [&](const SpanSignature& sig) {
    std::vector<std::pair<std::string, std::string>> subject = {
        {"service", sig.service}, {"span", sig.name}, {"kind", sig.kind}};
    if (!sig.detail_key.empty()) subject.emplace_back(sig.detail_key, sig.detail);
    return subject;
  };
  auto describe = [&](const SpanSignature& sig) {
    std::string d = "span \"" + sig.name + "\" (" + sig.kind + ", " + sig.service + ")";
    if (!sig.detail_key.empty()) d += " " + sig.detail_key + " \"" + sig.detail + "\"";
    return d;
  };
  auto span_query = [&](const SpanSignature& sig, const std::string& extra) {
    std::string q = "{ resource.service.name = " + QuoteQueryString(sig.service) +
                    " && name = " + QuoteQueryString(sig.name);
    return q + extra + " }";
  };

  if (slow.size() >= kMinBad) {
    std::unordered_map<std::string, double> bad_ns, ref_ns;
    double bad_total = 0, ref_total = 0;
    for (const Sampled* s : slow) {
      bad_total += static_cast<double>(s->facts.duration_ns);
      for (const auto& [sig, ns] : s->detail.critical_ns) bad_ns[sig] += static_cast<double>(ns);
    }
    for (const Sampled* s : a.reference) {
      ref_total += static_cast<double>(s->facts.duration_ns);
      for (const auto& [sig, ns] : s->detail.critical_ns) ref_ns[sig] += static_cast<double>(ns);
    }
    const double ns_slow = static_cast<double>(slow.size());
    const double added = bad_total / ns_slow - ref_total / nr;
    for (const auto& [key, total] : bad_ns) {
      const double mb = total / ns_slow;
      const double mr = ref_ns.count(key) ? ref_ns[key] / nr : 0;
      const double growth = mb - mr;
      if (growth < kMs || added <= 0 || growth < 0.1 * added) continue;
      const SpanSignature sig = SpanSignature::Decode(key);
      Finding f;
      f.summary = describe(sig) + ": " + FormatMs(mr) + " -> " + FormatMs(mb) +
                  " on the critical path per slow request (" +
                  FormatPercent(std::min(1.0, growth / added)) + " of the added latency)";
      f.signal = "critical path time";
      f.subject = subject_of(sig);
      f.baseline = mr / 1e6;
      f.incident = mb / 1e6;
      f.unit = "ms";
      f.score = std::min(1.0, growth / added);
      const std::string q = span_query(
          sig, " && duration > " + TraceQlDuration(static_cast<int64_t>(mr + growth / 2)));
      f.links = {TracesView(q, a.onset_ns, a.query->to_ns),
                 TempoSearch(q, a.onset_ns, a.query->to_ns)};
      // The slowest sampled request as the example to open.
      const Sampled* example = *std::max_element(slow.begin(), slow.end(), [](auto* x, auto* y) {
        return x->facts.duration_ns < y->facts.duration_ns;
      });
      f.links.push_back(TraceView(example->facts.trace_id, SpanId{}));
      f.links.push_back(TraceLogsApi(example->facts.trace_id));
      report->where.push_back(std::move(f));
    }
  }
  if (failed.size() >= kMinBad) {
    std::unordered_map<std::string, int64_t> bad_n, ref_n;
    for (const Sampled* s : failed) {
      for (const std::string& sig : s->detail.error_origins) ++bad_n[sig];
    }
    for (const Sampled* s : a.reference) {
      for (const std::string& sig : s->detail.error_origins) ++ref_n[sig];
    }
    for (const auto& [key, n] : bad_n) {
      const double sb = static_cast<double>(n) / static_cast<double>(failed.size());
      const double sr = ref_n.count(key) ? static_cast<double>(ref_n[key]) / nr : 0;
      if (sb - sr < 0.2) continue;
      const SpanSignature sig = SpanSignature::Decode(key);
      Finding f;
      f.summary = describe(sig) + " is where " + FormatPercent(sb) +
                  " of the failed requests fail (" + FormatPercent(sr) + " in the baseline)";
      f.signal = "error origin";
      f.subject = subject_of(sig);
      f.baseline = sr;
      f.incident = sb;
      f.unit = "share";
      f.score = sb - sr;
      const std::string q = span_query(sig, " && status = error");
      f.links = {TracesView(q, a.onset_ns, a.query->to_ns),
                 TempoSearch(q, a.onset_ns, a.query->to_ns),
                 TraceView(failed.front()->facts.trace_id, SpanId{})};
      report->where.push_back(std::move(f));
    }
  }
}

std::string Conclusion(const Analysis& a, const Report& r) {
  const std::string svc = a.query->service;
  std::string out;
  bool broken = false;
  for (const Finding& f : r.broken) broken |= f.signal != "alert";
  if (!broken) {
    out = "Nothing is broken for " + svc + " between " + FormatTime(r.from_ns) + " and " +
          FormatTime(r.to_ns) + ": " + std::to_string(r.incident_requests) +
          " requests, and no route's error rate or latency percentiles differ significantly "
          "from the baseline (" +
          std::to_string(r.baseline_requests) + " requests from " + FormatTime(r.baseline_from_ns) +
          ").";
    if (r.incident_requests < 20) out += " There are too few requests to judge.";
    if (!r.broken.empty()) out += " The alert fired, but the traces do not show a regression.";
    return out;
  }
  for (const Finding& f : r.broken) {
    if (f.signal == "alert") continue;
    out = f.summary;
    break;
  }
  if (r.onset_ns) out += ", since " + FormatTime(*r.onset_ns);
  out += ".";
  if (!r.who.empty()) out += " Most affected: " + r.who.front().summary + ".";
  if (!r.where.empty()) out += " Where: " + r.where.front().summary + ".";
  int causes = 0;
  for (const Finding& f : r.why) {
    if (f.signal.find("symptom") != std::string::npos || causes == 3) continue;
    out += causes == 0 ? " Why: " : " Also: ";
    out += f.summary + ".";
    ++causes;
  }
  if (causes == 0) out += " No cause was found in the available signals.";
  for (const Finding& f : r.why) {
    if (f.signal.find("symptom") != std::string::npos) {
      out += " " + f.summary + ".";
      break;
    }
  }
  return out;
}

}  // namespace quartet::incident::internal
