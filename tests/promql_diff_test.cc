// Differential test of our PromQL engine against Debian's Prometheus 2.42:
// the same deterministic samples (counters with resets, gauges, classic
// histograms, gaps longer than the lookback, NaN and ±Inf, series that
// differ in one label, label collisions after aggregation) are backfilled
// into a real Prometheus with promtool and loaded into a
// MemorySeriesSource; every query of tests/promql_corpus/*.txt is then run
// as instant queries at several times and as range queries, and the JSON
// answers must agree: result type, label sets, values within 1e-9 relative
// (NaN == NaN), and errorType for invalid queries. Queries listed in
// tests/promql_corpus/known_mismatches.txt are reported but do not fail.
// prometheus/promtool missing is a failure, not a skip.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "server/query/promql/engine.h"
#include "server/query/promql/format.h"
#include "server/query/promql/functions.h"
#include "server/query/promql/memory_series_source.h"
#include "server/query/promql/parser.h"
#include "server/query/promql/result_json.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;
using promql::Labels;
using promql::Point;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kMinMs = 60'000;

struct Dataset {
  int64_t t0 = 0;  // ms, aligned to 2h
  std::vector<promql::Series> series;
};

// A small deterministic generator (no <random>: same data on every libc++).
struct Rng {
  uint64_t s;
  double Next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  }
};

Dataset Generate(int64_t t0) {
  Dataset d;
  d.t0 = t0;
  const int64_t end = t0 + 3 * kHourMs;
  const int64_t step = 30'000;
  auto add = [&](Labels l, std::vector<Point> p) {
    promql::Canonicalize(&l);
    d.series.push_back({std::move(l), std::move(p)});
  };
  Rng rng{42};
  // Counters: one steady, one reset once, one reset twice, per code.
  const char* instances[] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    for (const char* code : {"200", "500"}) {
      std::vector<Point> p;
      double v = code[0] == '2' ? 100 : 3;
      for (int64_t t = t0; t <= end; t += step) {
        if ((i == 1 && t == t0 + kHourMs) ||
            (i == 2 && (t == t0 + 40 * kMinMs || t == t0 + 2 * kHourMs)))
          v = 0;
        v += std::floor(rng.Next() * (code[0] == '2' ? 20 : 3));
        p.push_back({t, v});
      }
      add({{"__name__", "http_requests_total"},
           {"job", "api"},
           {"instance", instances[i]},
           {"code", code}},
          p);
    }
  }
  // Gauges: a sine per room, one with negative values.
  const char* rooms[] = {"kitchen", "cellar", "attic"};
  for (int r = 0; r < 3; ++r) {
    std::vector<Point> p;
    for (int64_t t = t0; t <= end; t += step) {
      double x = static_cast<double>(t - t0) / 600000.0;
      p.push_back({t, std::round((20 + 8 * std::sin(x + r) - (r == 1 ? 25 : 0)) * 100) / 100});
    }
    add({{"__name__", "temperature_celsius"},
         {"room", rooms[r]},
         {"site", r == 2 ? "north" : "south"}},
        p);
  }
  // Gaps longer than the lookback, and a series that ends early.
  {
    std::vector<Point> p;
    for (int64_t t = t0; t <= end; t += step) {
      if (t > t0 + kHourMs && t < t0 + kHourMs + 20 * kMinMs) continue;
      if (t > t0 + 2 * kHourMs + 30 * kMinMs) break;
      p.push_back({t, static_cast<double>((t - t0) / step % 17)});
    }
    add({{"__name__", "gappy"}, {"job", "batch"}}, p);
  }
  // NaN, +Inf, -Inf among normal values.
  for (const char* kind : {"nan", "inf", "neginf"}) {
    std::vector<Point> p;
    int k = 0;
    for (int64_t t = t0; t <= end; t += step, ++k) {
      double v = k % 5;
      if (k % 7 == 3)
        v = kind[0] == 'n' && kind[1] == 'a' ? NAN : kind[0] == 'i' ? INFINITY : -INFINITY;
      p.push_back({t, v});
    }
    add({{"__name__", "weird"}, {"kind", kind}}, p);
  }
  // Classic histograms for two jobs, plus _sum and _count.
  const char* les[] = {"0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
  for (const char* job : {"api", "db"}) {
    std::vector<std::vector<Point>> buckets(7);
    std::vector<Point> sum, count;
    double cum[7] = {0, 0, 0, 0, 0, 0, 0};
    double s = 0;
    for (int64_t t = t0; t <= end; t += step) {
      if (job[0] == 'd' && t == t0 + 90 * kMinMs) {
        std::fill(cum, cum + 7, 0);
        s = 0;
      }
      int n = static_cast<int>(rng.Next() * 10);
      for (int o = 0; o < n; ++o) {
        double lat = rng.Next() * rng.Next() * (job[0] == 'a' ? 1.5 : 4);
        s += lat;
        double bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, INFINITY};
        for (int b = 0; b < 7; ++b) {
          if (lat <= bounds[b]) cum[b] += 1;
        }
      }
      for (int b = 0; b < 7; ++b) buckets[b].push_back({t, cum[b]});
      sum.push_back({t, std::round(s * 1000) / 1000});
      count.push_back({t, cum[6]});
    }
    for (int b = 0; b < 7; ++b) {
      add({{"__name__", "request_duration_seconds_bucket"}, {"job", job}, {"le", les[b]}},
          buckets[b]);
    }
    add({{"__name__", "request_duration_seconds_sum"}, {"job", job}}, sum);
    add({{"__name__", "request_duration_seconds_count"}, {"job", job}}, count);
  }
  // Non-monotonic buckets (the quantile's monotonicity fix), odd le texts.
  {
    const std::pair<const char*, double> nm[] = {
        {"1", 5}, {"2", 3}, {"5.0", 9}, {"1e1", 8}, {"+Inf", 10}};
    for (const auto& [le, v] : nm) {
      std::vector<Point> p;
      for (int64_t t = t0; t <= end; t += step)
        p.push_back({t, v + static_cast<double>((t - t0) / kHourMs)});
      add({{"__name__", "nonmono_bucket"}, {"le", le}}, p);
    }
  }
  // Series that differ only in one label, and two names with equal labels.
  for (const char* b : {"x", "y"}) {
    std::vector<Point> p;
    for (int64_t t = t0; t <= end; t += step) p.push_back({t, b[0] == 'x' ? 1.5 : 2.5});
    add({{"__name__", "collide"}, {"a", "1"}, {"b", b}}, p);
  }
  for (const char* name : {"dup_a", "dup_b"}) {
    std::vector<Point> p;
    for (int64_t t = t0; t <= end; t += step) p.push_back({t, name[4] == 'a' ? 10.0 : 20.0});
    add({{"__name__", name}, {"x", "1"}}, p);
  }
  // Two names with equal labels at disjoint times: rate() over both fails in
  // a range query spanning both, not in instant queries.
  for (const char* name : {"early_metric", "late_metric"}) {
    std::vector<Point> p;
    bool early = name[0] == 'e';
    for (int64_t t = early ? t0 : t0 + 2 * kHourMs; t <= (early ? t0 + kHourMs : end); t += step) {
      p.push_back({t, static_cast<double>((t - t0) / step)});
    }
    add({{"__name__", name}, {"job", "phase"}}, p);
  }
  // Info metric for group_left joins; label values with quotes and spaces.
  for (const char* inst : {"a", "b", "c"}) {
    std::vector<Point> p;
    for (int64_t t = t0; t <= end; t += step) p.push_back({t, 1});
    add({{"__name__", "build_info"},
         {"instance", inst},
         {"job", "api"},
         {"version", inst[0] == 'c' ? "2.0" : "1.9"}},
        p);
  }
  {
    std::vector<Point> p;
    for (int64_t t = t0; t <= end; t += step) p.push_back({t, 7});
    add({{"__name__", "odd_labels"}, {"path", "/a b\"c\\d"}, {"empty_looking", "x"}}, p);
  }
  // Irregular sample spacing.
  {
    std::vector<Point> p;
    int64_t t = t0 + 1234;
    for (int k = 0; t <= end; ++k) {
      p.push_back({t, static_cast<double>(k * k % 23)});
      t += 7'000 + (k % 5) * 11'000;
    }
    add({{"__name__", "sparse_gauge"}, {"job", "irregular"}}, p);
  }
  return d;
}

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string OpenMetrics(const Dataset& d) {
  std::map<std::string, std::vector<const promql::Series*>> by_name;
  for (const auto& s : d.series)
    by_name[std::string(promql::GetLabel(s.labels, "__name__"))].push_back(&s);
  std::string out;
  char buf[64];
  for (const auto& [name, list] : by_name) {
    for (const promql::Series* s : list) {
      std::string lbl;
      for (const auto& l : s->labels) {
        if (l.name == "__name__") continue;
        if (!lbl.empty()) lbl += ",";
        lbl += l.name + "=\"" + EscapeLabel(l.value) + "\"";
      }
      for (const Point& p : s->points) {
        std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(p.t / 1000),
                      static_cast<long long>(p.t % 1000));
        out += name + "{" + lbl + "} " + promql::FormatFloat(p.v) + " " + buf + "\n";
      }
    }
  }
  out += "# EOF\n";
  return out;
}

std::string Seconds(int64_t ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

bool SameValue(const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::optional<double> x = promql::GoParseFloat(a), y = promql::GoParseFloat(b);
  if (!x || !y) return false;
  if (std::isnan(*x) || std::isnan(*y)) return std::isnan(*x) && std::isnan(*y);
  if (std::isinf(*x) || std::isinf(*y)) return *x == *y;
  double diff = std::fabs(*x - *y);
  return diff <= 1e-9 * std::max(std::fabs(*x), std::fabs(*y)) || diff < 1e-12;
}

std::string MetricKey(const json::Value& m) {
  std::vector<std::string> parts;
  if (m.is_object()) {
    for (const auto& mem : m.members()) parts.push_back(mem.key + "=" + mem.value.string_value());
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += p + ",";
  return out;
}

std::string ShortJson(const json::Value& v) {
  std::string s = json::Serialize(v);
  return s.size() > 600 ? s.substr(0, 600) + "..." : s;
}

// Compares two API bodies; returns "" when they agree, else why not.
std::string Compare(const json::Value& want, const json::Value& got, bool ordered) {
  const json::Value* ws = want.Find("status");
  const json::Value* gs = got.Find("status");
  if (!ws || !gs) return "missing status";
  if (ws->string_value() != gs->string_value()) {
    return "status " + ws->string_value() + " vs " + gs->string_value() + ": prometheus " +
           ShortJson(want) + " ours " + ShortJson(got);
  }
  if (ws->string_value() == "error") {
    std::string wt = want.Find("errorType")->string_value(),
                gt = got.Find("errorType")->string_value();
    if (wt != gt)
      return "errorType " + wt + " vs " + gt + " (" + want.Find("error")->string_value() + " | " +
             got.Find("error")->string_value() + ")";
    return "";
  }
  const json::Value& wd = *want.Find("data");
  const json::Value& gd = *got.Find("data");
  std::string type = wd.Find("resultType")->string_value();
  if (type != gd.Find("resultType")->string_value()) {
    return "resultType " + type + " vs " + gd.Find("resultType")->string_value();
  }
  const json::Value& wr = *wd.Find("result");
  const json::Value& gr = *gd.Find("result");
  auto diff = [&]() { return "prometheus " + ShortJson(wr) + "\n    ours " + ShortJson(gr); };
  if (type == "scalar" || type == "string") {
    if (wr.items()[0].double_value() != gr.items()[0].double_value())
      return "time differs: " + diff();
    if (!SameValue(wr.items()[1].string_value(), gr.items()[1].string_value())) return diff();
    return "";
  }
  if (wr.items().size() != gr.items().size()) return "series count differs: " + diff();
  if (type == "vector") {
    std::multimap<std::string, std::string> wm, gm;
    for (size_t i = 0; i < wr.items().size(); ++i) {
      const auto& w = wr.items()[i];
      const auto& g = gr.items()[i];
      if (ordered && !SameValue(w.Find("value")->items()[1].string_value(),
                                g.Find("value")->items()[1].string_value())) {
        return "order differs: " + diff();
      }
      if (w.Find("value")->items()[0].double_value() !=
          g.Find("value")->items()[0].double_value()) {
        return "sample time differs: " + diff();
      }
      wm.emplace(MetricKey(*w.Find("metric")), w.Find("value")->items()[1].string_value());
      gm.emplace(MetricKey(*g.Find("metric")), g.Find("value")->items()[1].string_value());
    }
    auto wi = wm.begin();
    for (auto gi = gm.begin(); gi != gm.end(); ++gi, ++wi) {
      if (wi->first != gi->first) return "labels differ: " + diff();
    }
    for (const auto& [k, v] : wm) {
      auto [lo, hi] = gm.equal_range(k);
      bool any = false;
      for (auto it = lo; it != hi; ++it) any = any || SameValue(v, it->second);
      if (!any) return "value differs for {" + k + "}: " + diff();
    }
    return "";
  }
  // matrix
  std::map<std::string, const json::Value*> wm, gm;
  for (const auto& w : wr.items()) wm[MetricKey(*w.Find("metric"))] = w.Find("values");
  for (const auto& g : gr.items()) gm[MetricKey(*g.Find("metric"))] = g.Find("values");
  for (const auto& [k, wv] : wm) {
    auto it = gm.find(k);
    if (it == gm.end()) return "series {" + k + "} missing: " + diff();
    const auto& a = wv->items();
    const auto& b = it->second->items();
    if (a.size() != b.size()) {
      return "point count differs for {" + k + "}: " + std::to_string(a.size()) + " vs " +
             std::to_string(b.size()) + ": " + diff();
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].items()[0].double_value() != b[i].items()[0].double_value() ||
          !SameValue(a[i].items()[1].string_value(), b[i].items()[1].string_value())) {
        return "point " + std::to_string(i) + " differs for {" + k + "}: " + json::Serialize(a[i]) +
               " vs " + json::Serialize(b[i]);
      }
    }
  }
  return "";
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line);
  }
  return out;
}

TEST(PromqlDiffTest, AgreesWithPrometheus242) {
  ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0) << "prometheus missing: run ./setup";
  ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0) << "promtool missing: run ./setup";

  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // Two whole 2h blocks before the current one: promtool backfills only data
  // older than now, in blocks aligned to 2h.
  int64_t t0 = now_ms / (2 * kHourMs) * (2 * kHourMs) - 4 * kHourMs;
  Dataset data = Generate(t0);

  std::string dir = TempDir("promql_diff");
  {
    std::ofstream(dir + "/data.om") << OpenMetrics(data);
    std::ofstream(dir + "/prometheus.yml") << "global:\n  evaluation_interval: 1m\n";
  }
  Process promtool({.argv = {"/usr/bin/promtool", "tsdb", "create-blocks-from", "openmetrics",
                             dir + "/data.om", dir + "/tsdb"}});
  ASSERT_TRUE(Process::WaitFor([&] { return !promtool.running(); }, 120s));
  ASSERT_EQ(promtool.Stop(), 0) << promtool.ReadStderr() << promtool.ReadStdout();

  int port = FreeLoopbackPort();
  Process prometheus(
      {.argv = {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                "--storage.tsdb.path=" + dir + "/tsdb", "--storage.tsdb.retention.time=10y",
                "--web.listen-address=127.0.0.1:" + std::to_string(port)}});
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(30, 0);
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        auto r = api.Get("/-/ready");
        return r && r->status == 200;
      },
      60s))
      << prometheus.ReadStderr();

  promql::MemorySeriesSource source;
  for (const auto& s : data.series) source.Add(s.labels, s.points);
  promql::Engine engine(&source);

  std::vector<std::string> queries;
  std::string corpus_dir = SourcePath("tests/promql_corpus");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(corpus_dir)) {
    if (entry.path().extension() == ".txt" && entry.path().filename() != "known_mismatches.txt") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    for (auto& q : ReadLines(f)) queries.push_back(q);
  }
  std::set<std::string> known;
  for (auto& q : ReadLines(corpus_dir + "/known_mismatches.txt")) known.insert(q);
  ASSERT_GE(queries.size(), 300u);

  const int64_t instants[] = {t0 + 30 * kMinMs + 7'000, t0 + 70 * kMinMs,
                              t0 + 179 * kMinMs + 30'000, t0 + 184 * kMinMs};
  struct RangeSpec {
    int64_t start, end, step;
  };
  const RangeSpec ranges[] = {{t0 + 20 * kMinMs, t0 + 170 * kMinMs, 5 * kMinMs},
                              {t0 + 55 * kMinMs + 13'000, t0 + 95 * kMinMs, 97'000}};

  int evaluations = 0, passed = 0, failed = 0, known_failed = 0;
  std::set<std::string> failing_queries;
  std::string report;
  for (const std::string& q : queries) {
    Result<promql::ExprPtr> parsed = promql::Parse(q);
    bool ordered = parsed.ok() && (*parsed)->kind == promql::ExprKind::kCall &&
                   ((*parsed)->func->name == "sort" || (*parsed)->func->name == "sort_desc");
    auto check = [&](const std::string& what, httplib::Result res,
                     const Result<promql::QueryResult>& ours) {
      ++evaluations;
      std::string mismatch;
      if (!res) {
        mismatch = "prometheus request failed";
      } else {
        Result<json::Value> want = json::Parse(res->body);
        std::string body =
            ours.ok() ? promql::RenderSuccessJson(*ours) : promql::RenderErrorJson(ours.status());
        Result<json::Value> got = json::Parse(body);
        if (!want.ok() || !got.ok()) {
          mismatch = "bad json";
        } else {
          mismatch = Compare(*want, *got, ordered);
        }
      }
      if (mismatch.empty()) {
        ++passed;
        return;
      }
      if (known.count(q)) {
        ++known_failed;
      } else {
        ++failed;
      }
      failing_queries.insert(q);
      report += (known.count(q) ? "  [known] " : "  ") + q + "  @" + what + ": " + mismatch + "\n";
    };
    for (int64_t t : instants) {
      auto res = api.Get("/api/v1/query", httplib::Params{{"query", q}, {"time", Seconds(t)}}, {});
      check("instant " + Seconds(t - t0) + "s", std::move(res), engine.Instant(q, t));
    }
    for (const RangeSpec& r : ranges) {
      auto res = api.Get("/api/v1/query_range",
                         httplib::Params{{"query", q},
                                         {"start", Seconds(r.start)},
                                         {"end", Seconds(r.end)},
                                         {"step", Seconds(r.step)}},
                         {});
      check("range +" + Seconds(r.start - t0) + "s/" + Seconds(r.step) + "s", std::move(res),
            engine.Range(q, r.start, r.end, r.step));
    }
  }
  std::printf(
      "promql diff: %zu queries, %d evaluations, %d agree, %d differ (%d known), %zu queries with "
      "a difference\n",
      queries.size(), evaluations, passed, failed + known_failed, known_failed,
      failing_queries.size());
  if (!report.empty()) std::printf("%s", report.c_str());
  EXPECT_EQ(failed, 0) << report;
}

}  // namespace
}  // namespace quartet::testing
