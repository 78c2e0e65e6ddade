#include "tools/quartet/doctor/checks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "wire/json/json_parser.h"

namespace quartet::doctor {
namespace {

constexpr size_t kMaxTracesChecked = 100;
constexpr int64_t kSkewToleranceNs = 1'000'000'000;

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<json::Value> GetJson(const Api& api, const std::string& path) {
  ApiResponse r = api(path);
  if (r.status != 200) return std::nullopt;
  Result<json::Value> doc = json::Parse(r.body);
  if (!doc.ok()) return std::nullopt;
  return std::move(*doc);
}

// Strings of a JSON array (or of the array under `key`), skipping the rest.
std::vector<std::string> Strings(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const json::Value& item : v->items()) {
    if (item.is_string()) out.push_back(item.string_value());
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string Range(const Window& w, const char* from, const char* to, int64_t scale) {
  return std::string(from) + "=" + std::to_string(w.from_s * scale) + "&" + to + "=" +
         std::to_string(w.to_s * scale);
}

// Service names as each signal's API lists them; nullopt when the API is absent.
struct SignalNames {
  std::string signal;
  std::optional<std::vector<std::string>> names;
};

std::vector<SignalNames> ServiceNames(const Api& api, const Window& w) {
  std::vector<SignalNames> out;
  {
    auto doc = GetJson(api, "/api/search/tag/service.name/values?" + Range(w, "start", "end", 1));
    out.push_back({"traces", doc ? std::optional(Strings(doc->Find("tagValues"))) : std::nullopt});
  }
  {
    auto doc = GetJson(
        api, "/loki/api/v1/label/service_name/values?" + Range(w, "start", "end", 1'000'000'000));
    out.push_back({"logs", doc ? std::optional(Strings(doc->Find("data"))) : std::nullopt});
  }
  {
    // Scraped services are named by their job; OTLP metrics by job and
    // service_name (target_info).
    std::optional<std::vector<std::string>> names;
    for (const char* label : {"job", "service_name", "service"}) {
      auto doc = GetJson(
          api, std::string("/api/v1/label/") + label + "/values?" + Range(w, "start", "end", 1));
      if (!doc) continue;
      if (!names) names.emplace();
      for (std::string& n : Strings(doc->Find("data"))) names->push_back(std::move(n));
    }
    out.push_back({"metrics", names});
  }
  {
    auto doc =
        GetJson(api, "/pyroscope/label-values?label=service_name&" + Range(w, "from", "until", 1));
    std::optional<std::vector<std::string>> names;
    if (doc) {
      names = doc->is_array() ? Strings(&*doc) : Strings(doc->Find("data"));
      if (names->empty()) *names = Strings(doc->Find("names"));
    }
    out.push_back({"profiles", names});
  }
  for (SignalNames& s : out) {
    if (!s.names) continue;
    std::sort(s.names->begin(), s.names->end());
    s.names->erase(std::unique(s.names->begin(), s.names->end()), s.names->end());
  }
  return out;
}

Finding CheckServiceNames(const std::vector<SignalNames>& signals, const std::string& service) {
  Finding f{.check = "service-name"};
  // canonical form -> spelling -> signals using it
  std::map<std::string, std::map<std::string, std::vector<std::string>>> groups;
  std::vector<std::string> absent;
  for (const SignalNames& s : signals) {
    if (!s.names) {
      absent.push_back(s.signal);
      continue;
    }
    for (const std::string& name : *s.names) {
      groups[CanonicalServiceName(name)][name].push_back(s.signal);
    }
  }
  std::vector<std::string> clashes;
  std::vector<std::string> consistent;
  for (const auto& [canonical, spellings] : groups) {
    if (!service.empty() && canonical != CanonicalServiceName(service)) continue;
    if (spellings.size() > 1) {
      std::string line;
      for (const auto& [spelling, on] : spellings) {
        if (!line.empty()) line += " vs ";
        line += "\"" + spelling + "\" (" + Join(on) + ")";
      }
      clashes.push_back(line);
    } else if (spellings.begin()->second.size() > 1) {
      consistent.push_back(spellings.begin()->first + " (" + Join(spellings.begin()->second) + ")");
    }
  }
  if (!absent.empty()) f.detail.push_back("no API answered for: " + Join(absent));
  if (!clashes.empty()) {
    f.severity = Severity::kProblem;
    f.summary = std::to_string(clashes.size()) +
                " service(s) spelled differently across signals: links between them break";
    for (std::string& c : clashes) f.detail.push_back(std::move(c));
    f.fix =
        "set one canonical name once (quartet::Config::service_name or OTEL_SERVICE_NAME) and "
        "use it for every signal: scrape job_name, Loki labels and Pyroscope app names included";
    return f;
  }
  f.summary = consistent.empty() ? "no service seen on more than one signal"
                                 : "one spelling per service on every signal";
  if (consistent.empty()) f.severity = Severity::kWarning;
  for (std::string& c : consistent) f.detail.push_back(std::move(c));
  if (consistent.empty()) {
    f.fix = "send at least traces and logs under the same service name so they can be linked";
  }
  return f;
}

struct LogSample {
  std::string trace_id;
  std::optional<bool> sampled;
  int64_t time_ns = 0;
};

std::optional<bool> SampledOf(const json::Value& stream, std::string_view line) {
  const json::Value* label = stream.Find("sampled");
  if (label && label->is_string()) {
    if (label->string_value() == "true" || label->string_value() == "1") return true;
    if (label->string_value() == "false" || label->string_value() == "0") return false;
  }
  if (line.find("\"sampled\":true") != line.npos) return true;
  if (line.find("\"sampled\":false") != line.npos) return false;
  return std::nullopt;
}

std::vector<LogSample> LogsWithTraceIds(const Api& api, const Window& w,
                                        const std::string& service) {
  std::string query = "{service_name=\"" + service + "\"} | trace_id != \"\"";
  auto doc =
      GetJson(api, "/loki/api/v1/query_range?query=" + UrlEncode(query) +
                       "&limit=300&direction=backward&" + Range(w, "start", "end", 1'000'000'000));
  std::vector<LogSample> out;
  const json::Value* data = doc ? doc->Find("data") : nullptr;
  const json::Value* result = data ? data->Find("result") : nullptr;
  if (result == nullptr || !result->is_array()) return out;
  for (const json::Value& stream : result->items()) {
    const json::Value* labels = stream.Find("stream");
    const json::Value* values = stream.Find("values");
    const json::Value* trace = labels ? labels->Find("trace_id") : nullptr;
    if (!labels || !values || !values->is_array() || !trace || !trace->is_string()) continue;
    for (const json::Value& entry : values->items()) {
      if (!entry.is_array() || entry.items().size() < 2 || !entry.items()[0].is_string()) continue;
      LogSample s{.trace_id = trace->string_value()};
      s.time_ns = std::strtoll(entry.items()[0].string_value().c_str(), nullptr, 10);
      std::string_view line =
          entry.items()[1].is_string() ? entry.items()[1].string_value() : std::string_view();
      s.sampled = SampledOf(*labels, line);
      out.push_back(std::move(s));
    }
  }
  return out;
}

struct TraceSpan {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

// The trace's time span, or nullopt when quartetd has no such trace.
std::optional<TraceSpan> LookUpTrace(const Api& api, const std::string& trace_id) {
  auto doc = GetJson(api, "/api/v1/traces/" + trace_id + "/summary");
  const json::Value* data = doc ? doc->Find("data") : nullptr;
  if (data == nullptr) return std::nullopt;
  // The links API also answers for a trace that only has log lines.
  const json::Value* spans = data->Find("spanCount");
  if (spans == nullptr || !spans->is_number() || spans->double_value() <= 0) return std::nullopt;
  auto ns = [&](const char* key) -> int64_t {
    const json::Value* v = data->Find(key);
    return v && v->is_string() ? std::strtoll(v->string_value().c_str(), nullptr, 10) : 0;
  };
  return TraceSpan{ns("startTimeUnixNano"), ns("endTimeUnixNano")};
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * part / whole);
  return buf;
}

// trace-links and clock-skew share the sample of log lines and their traces.
void CheckTraceLinks(const Api& api, const Window& w, const std::vector<std::string>& services,
                     std::vector<Finding>* out) {
  Finding links{.check = "trace-links"};
  Finding skew{.check = "clock-skew"};
  struct Tally {
    int64_t lines = 0, resolved = 0;
  };
  std::map<std::string, Tally> by_sampled;  // "true", "false", "unknown"
  std::vector<double> skews_s;
  std::map<std::string, std::optional<TraceSpan>> traces;
  for (const std::string& service : services) {
    for (const LogSample& s : LogsWithTraceIds(api, w, service)) {
      auto it = traces.find(s.trace_id);
      if (it == traces.end()) {
        if (traces.size() >= kMaxTracesChecked) continue;
        it = traces.emplace(s.trace_id, LookUpTrace(api, s.trace_id)).first;
      }
      Tally& t = by_sampled[s.sampled ? (*s.sampled ? "true" : "false") : "unknown"];
      ++t.lines;
      if (!it->second) continue;
      ++t.resolved;
      int64_t off = s.time_ns < it->second->start_ns ? it->second->start_ns - s.time_ns
                    : s.time_ns > it->second->end_ns ? s.time_ns - it->second->end_ns
                                                     : 0;
      skews_s.push_back(off / 1e9);
    }
  }
  int64_t lines = 0;
  for (const auto& [k, t] : by_sampled) {
    lines += t.lines;
    links.detail.push_back("sampled=" + k + ": " + std::to_string(t.resolved) + " of " +
                           std::to_string(t.lines) + " lines resolve to a trace (" +
                           Percent(t.resolved, t.lines) + ")");
  }
  if (lines == 0) {
    links.severity = Severity::kSkipped;
    links.summary = "no log lines with a trace_id in the window";
    links.fix = "log inside a request's span (the SDK then adds trace_id, span_id and sampled)";
    skew.severity = Severity::kSkipped;
    skew.summary = "no log lines with a trace_id to compare with their spans";
    out->push_back(std::move(links));
    out->push_back(std::move(skew));
    return;
  }
  Tally sampled = by_sampled["true"];
  Tally unknown = by_sampled["unknown"];
  Tally unsampled = by_sampled["false"];
  if (sampled.lines >= 3 && sampled.lines - sampled.resolved > sampled.lines / 10) {
    links.severity = Severity::kProblem;
    links.summary = Percent(sampled.lines - sampled.resolved, sampled.lines) +
                    " of log lines marked sampled have no trace: their spans were lost";
    links.fix =
        "check that traces go to the same server as logs (OTEL_EXPORTER_OTLP_ENDPOINT or "
        "_TRACES_ENDPOINT), that the batch exporter is not dropping (exporter-drops), and that "
        "no collector samples the traces a second time";
  } else if (unknown.lines >= 3 && unknown.lines - unknown.resolved > unknown.lines / 10) {
    links.severity = Severity::kWarning;
    links.summary = Percent(unknown.lines - unknown.resolved, unknown.lines) +
                    " of log lines with a trace_id have no trace, and no `sampled` field says why";
    links.fix =
        "add `sampled` to log lines (the quartet SDK does) so an unresolved trace_id is "
        "explained by sampling instead of looking like lost spans";
  } else {
    links.summary =
        "log lines link to their traces" +
        std::string(unsampled.lines > 0 ? " (unsampled lines are expected to have no trace)" : "");
  }
  out->push_back(std::move(links));

  if (skews_s.size() < 3) {
    skew.severity = Severity::kSkipped;
    skew.summary = "too few log lines with a stored trace to compare clocks";
  } else {
    std::sort(skews_s.begin(), skews_s.end());
    double median = skews_s[skews_s.size() / 2];
    char line[160];
    std::snprintf(line, sizeof(line),
                  "%zu log lines: median %.3f s, max %.3f s outside their trace's time span",
                  skews_s.size(), median, skews_s.back());
    skew.detail.push_back(line);
    if (median * 1e9 > kSkewToleranceNs) {
      skew.severity = Severity::kProblem;
      char summary[160];
      std::snprintf(summary, sizeof(summary),
                    "log lines are stamped %.1f s away from their spans: the signals' clocks "
                    "disagree",
                    median);
      skew.summary = summary;
      skew.fix =
          "stamp log lines where they are written (not when a shipper reads them) and keep the "
          "hosts' clocks in sync (NTP); time-window queries across signals depend on it";
    } else {
      skew.summary = "log lines fall inside their traces' time spans";
    }
  }
  out->push_back(std::move(skew));
}

Finding CheckExemplars(const Api& api, const Window& w) {
  Finding f{.check = "exemplars"};
  auto doc = GetJson(api, "/api/v1/series?match[]=" + UrlEncode("{__name__=~\".+_bucket\"}") + "&" +
                              Range(w, "start", "end", 1));
  if (!doc) {
    f.severity = Severity::kSkipped;
    f.summary = "no Prometheus series API";
    return f;
  }
  std::set<std::string> latency;
  if (const json::Value* data = doc->Find("data"); data && data->is_array()) {
    for (const json::Value& series : data->items()) {
      const json::Value* name = series.Find("__name__");
      if (!name || !name->is_string()) continue;
      const std::string& n = name->string_value();
      if (n.find("duration") != n.npos || n.find("latency") != n.npos ||
          n.ends_with("_seconds_bucket")) {
        latency.insert(n);
      }
    }
  }
  if (latency.empty()) {
    f.severity = Severity::kSkipped;
    f.summary = "no latency histograms in the window";
    return f;
  }
  std::vector<std::string> without;
  for (const std::string& name : latency) {
    auto ex = GetJson(api, "/api/v1/query_exemplars?query=" + UrlEncode(name) + "&" +
                               Range(w, "start", "end", 1));
    int64_t count = 0;
    const json::Value* data = ex ? ex->Find("data") : nullptr;
    if (data && data->is_array()) {
      for (const json::Value& s : data->items()) {
        const json::Value* e = s.Find("exemplars");
        if (e && e->is_array()) count += static_cast<int64_t>(e->items().size());
      }
    }
    f.detail.push_back(name + ": " + std::to_string(count) + " exemplars");
    if (count == 0) without.push_back(name);
  }
  if (!without.empty()) {
    f.severity = Severity::kProblem;
    f.summary = std::to_string(without.size()) +
                " latency histogram(s) without exemplars: " + Join(without) +
                " (no click from a latency spike to a trace)";
    f.fix =
        "observe the histogram inside the request's span (the quartet SDK attaches trace_id "
        "exemplars then) and scrape with OpenMetrics (quartetd negotiates it; Prometheus needs "
        "--enable-feature=exemplar-storage)";
  } else {
    f.summary = "every latency histogram carries exemplars";
  }
  return f;
}

Finding CheckVersions(const Api& api, const Window& w, const std::vector<SignalNames>& signals) {
  Finding f{.check = "version"};
  std::vector<std::string> missing;
  auto listed = [&](const std::string& signal) {
    for (const SignalNames& s : signals) {
      if (s.signal == signal) return s.names && !s.names->empty();
    }
    return false;
  };
  if (listed("traces")) {
    auto doc =
        GetJson(api, "/api/search/tag/service.version/values?" + Range(w, "start", "end", 1));
    std::vector<std::string> v = doc ? Strings(doc->Find("tagValues")) : std::vector<std::string>{};
    f.detail.push_back("spans: " + (v.empty() ? std::string("no service.version") : Join(v)));
    if (v.empty()) missing.push_back("spans");
  }
  if (listed("profiles")) {
    auto doc = GetJson(
        api, "/pyroscope/label-values?label=service_version&" + Range(w, "from", "until", 1));
    std::vector<std::string> v;
    if (doc) {
      v = doc->is_array() ? Strings(&*doc) : Strings(doc->Find("data"));
      if (v.empty()) v = Strings(doc->Find("names"));
    }
    f.detail.push_back("profiles: " + (v.empty() ? std::string("no service_version") : Join(v)));
    if (v.empty()) missing.push_back("profiles");
  }
  auto annotations = GetJson(api, "/api/annotations?limit=200&" + Range(w, "from", "to", 1000));
  if (annotations && annotations->is_array()) {
    int64_t total = 0, without = 0;
    for (const json::Value& a : annotations->items()) {
      ++total;
      bool has_version = false;
      if (const json::Value* tags = a.Find("tags")) {
        for (const std::string& t : Strings(tags)) {
          has_version |= t.starts_with("version=") || t.starts_with("version:");
        }
      }
      if (!has_version) ++without;
    }
    f.detail.push_back("annotations: " + std::to_string(total - without) + " of " +
                       std::to_string(total) + " carry a version");
    if (without > 0) missing.push_back("annotations");
  } else {
    f.detail.push_back("annotations: no annotations API");
  }
  if (!missing.empty()) {
    f.severity = Severity::kProblem;
    f.summary = "no service version on " + Join(missing) +
                ": a regression cannot be tied to the deploy that caused it";
    f.fix =
        "set quartet::Config::service_version (or service.version in OTEL_RESOURCE_ATTRIBUTES) "
        "once; the SDK puts it on spans, logs, metrics, profiles and `quartet annotate "
        "--version`";
  } else {
    f.summary = "the service version is on every signal that has data";
  }
  return f;
}

// The SDK's drop counters by name (increase() drops __name__, so one query
// per counter keeps the name in the finding).
Finding CheckExporterDrops(const Api& api, const Window& w) {
  Finding f{.check = "exporter-drops"};
  auto series = GetJson(
      api, "/api/v1/series?match[]=" + UrlEncode("{__name__=~\"quartet_sdk_.*dropped.*_total\"}") +
               "&" + Range(w, "start", "end", 1));
  const json::Value* list = series ? series->Find("data") : nullptr;
  if (list == nullptr || !list->is_array()) {
    f.severity = Severity::kSkipped;
    f.summary = "no Prometheus series API";
    return f;
  }
  std::set<std::string> names;
  for (const json::Value& s : list->items()) {
    const json::Value* name = s.Find("__name__");
    if (name && name->is_string()) names.insert(name->string_value());
  }
  if (names.empty()) {
    f.severity = Severity::kSkipped;
    f.summary = "no SDK self-metrics in the window (scrape the service's /metrics to see drops)";
    return f;
  }
  std::string range = std::to_string(std::max<int64_t>(60, w.to_s - w.from_s)) + "s";
  for (const std::string& name : names) {
    std::string query = "sum by (job) (increase(" + name + "[" + range + "]))";
    auto doc =
        GetJson(api, "/api/v1/query?query=" + UrlEncode(query) + "&time=" + std::to_string(w.to_s));
    const json::Value* data = doc ? doc->Find("data") : nullptr;
    const json::Value* result = data ? data->Find("result") : nullptr;
    if (result == nullptr || !result->is_array()) continue;
    for (const json::Value& r : result->items()) {
      const json::Value* metric = r.Find("metric");
      const json::Value* value = r.Find("value");
      if (!value || !value->is_array() || value->items().size() < 2 ||
          !value->items()[1].is_string()) {
        continue;
      }
      double v = std::strtod(value->items()[1].string_value().c_str(), nullptr);
      if (!(v > 0)) continue;
      const json::Value* job = metric ? metric->Find("job") : nullptr;
      char line[256];
      std::snprintf(line, sizeof(line), "%s: %s increased by %.0f",
                    job && job->is_string() ? job->string_value().c_str() : "?", name.c_str(), v);
      f.detail.push_back(line);
    }
  }
  if (!f.detail.empty()) {
    f.severity = Severity::kProblem;
    f.summary = "telemetry was dropped before it left the service";
    f.fix =
        "raise the queue (OTEL_BSP_MAX_QUEUE_SIZE / OTEL_BLRP_MAX_QUEUE_SIZE), export more "
        "often (OTEL_BSP_SCHEDULE_DELAY), and check that the endpoint is reachable and not "
        "answering 429/503";
  } else {
    f.summary =
        "the SDK's exporters dropped nothing (" + std::to_string(names.size()) + " drop counters)";
  }
  return f;
}

}  // namespace

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "ok";
    case Severity::kSkipped:
      return "skipped";
    case Severity::kWarning:
      return "warning";
    case Severity::kProblem:
      return "problem";
  }
  return "?";
}

std::string CanonicalServiceName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.' || c == ' ') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<Finding> RunChecks(const Api& api, const Window& window, const std::string& service) {
  std::vector<Finding> out;
  std::vector<SignalNames> names = ServiceNames(api, window);
  out.push_back(CheckServiceNames(names, service));
  std::vector<std::string> log_services;
  for (const SignalNames& s : names) {
    if (s.signal != "logs" || !s.names) continue;
    for (const std::string& n : *s.names) {
      if (service.empty() || n == service) log_services.push_back(n);
    }
  }
  CheckTraceLinks(api, window, log_services, &out);
  out.push_back(CheckExemplars(api, window));
  out.push_back(CheckVersions(api, window, names));
  out.push_back(CheckExporterDrops(api, window));
  return out;
}

}  // namespace quartet::doctor
