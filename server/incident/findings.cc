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
    int64_t bad = 0, normal = 0;
  };
  // Log lines were read for a sample of the requests only: a value that only
  // logs carry is compared among the requests whose logs were read, or every
  // constant of the log lines (host, pid, sdk) would look over-represented.
  std::set<std::string> log_only;
  int64_t nb_logs = 0, nn_logs = 0;
  for (const Sampled* s : a.bad) {
    log_only.insert(s->detail.log_feature_keys.begin(), s->detail.log_feature_keys.end());
    nb_logs += s->detail.logs_read;
  }
  for (const Sampled* s : a.normal) nn_logs += s->detail.logs_read;
  std::map<std::pair<std::string, std::string>, Counts> counts;
  for (const Sampled* s : a.bad) {
    for (const auto& f : s->detail.features) {
      if (!IgnoredForWho(f.first)) ++counts[f].bad;
    }
  }
  for (const Sampled* s : a.normal) {
    for (const auto& f : s->detail.features) {
      auto it = counts.find(f);
      if (it != counts.end()) ++it->second.normal;
    }
  }
  const int64_t nb_all = static_cast<int64_t>(a.bad.size());
  const int64_t nn_all = static_cast<int64_t>(a.normal.size());
  for (const auto& [feature, c] : counts) {
    const bool from_logs = log_only.count(feature.first) > 0;
    const int64_t nb = from_logs ? nb_logs : nb_all, nn = from_logs ? nn_logs : nn_all;
    if (nb == 0 || nn == 0) continue;
    if (c.bad < std::max<int64_t>(3, nb / 5)) continue;
    const double pb = static_cast<double>(c.bad) / static_cast<double>(nb);
    const double pn = static_cast<double>(c.normal) / static_cast<double>(nn);
    const double lift = Lift(c.bad, nb, c.normal, nn);
    if (lift < 2 || pb - pn < 0.15 || TwoProportionZ(c.bad, nb, c.normal, nn) < 3) continue;
    Finding f;
    f.summary = feature.first + "=" + feature.second + ": " + FormatPercent(pb) +
                " of the slow or failed requests, " + FormatPercent(pn) + " of the others (lift " +
                FormatNumber(std::round(lift * 10) / 10) + ")";
    f.signal = "attribute";
    f.subject = {{feature.first, feature.second}};
    f.baseline = pn;
    f.incident = pb;
    f.unit = "share";
    f.score = (pb - pn) * std::min(1.0, std::log2(lift) / 4);
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
