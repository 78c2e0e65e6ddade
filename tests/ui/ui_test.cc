// The web UI in a real browser: quartetd (with its embedded UI) is seeded over
// OTLP/HTTP with traces and logs — among them a span name, a status message,
// attribute values and log lines carrying <script> and onerror-image markup —
// then tests/ui/ui_browser.mjs drives Debian's chromium with playwright-core
// through Explore logs, the trace view and Explore traces, each opened by URL
// alone too, and checks that the planted markup stays inert text and that the
// page makes no request outside quartetd. Screenshots go to
// <build>/test-output/ui/. A missing chromium, playwright-core or UI build
// fails the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/quartetd.h"
#include "wire/prometheus/remote_write.h"
#include "wire/prometheus/remote_write_body.h"

namespace quartet::testing {
namespace {

constexpr char kScript[] = "<script>window.__pwned=1</script>";
constexpr char kImage[] = "<img src=x onerror=\"window.__pwned=2\">";

// JSON string literal for `s` (quotes, backslashes and control bytes escaped).
std::string Js(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Hex(uint64_t v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

std::string Attr(const std::string& key, const std::string& value) {
  return "{\"key\":" + Js(key) + ",\"value\":{\"stringValue\":" + Js(value) + "}}";
}

struct SpanSpec {
  std::string service, trace_id, span_id, parent, name;
  int kind;  // OTLP enum: 1 internal, 2 server, 3 client
  int64_t start_ns, end_ns;
  bool error;
  std::string status_message;
  std::vector<std::string> attributes;  // Attr(...) JSON
  std::string extra;                    // ,"events":[...] etc.
};

std::string SpanJson(const SpanSpec& s) {
  std::string attrs;
  for (const std::string& a : s.attributes) attrs += (attrs.empty() ? "" : ",") + a;
  return "{\"traceId\":\"" + s.trace_id + "\",\"spanId\":\"" + s.span_id +
         "\",\"parentSpanId\":\"" + s.parent + "\",\"name\":" + Js(s.name) +
         ",\"kind\":" + std::to_string(s.kind) + ",\"startTimeUnixNano\":\"" +
         std::to_string(s.start_ns) + "\",\"endTimeUnixNano\":\"" + std::to_string(s.end_ns) +
         "\",\"attributes\":[" + attrs + "],\"status\":{\"code\":" + (s.error ? "2" : "0") +
         ",\"message\":" + Js(s.status_message) + "}" + s.extra + "}";
}

// One OTLP/JSON trace request: every span under its own resource.
std::string TracesRequest(const std::vector<SpanSpec>& spans) {
  std::string out = "{\"resourceSpans\":[";
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"resource\":{\"attributes\":[" + Attr("service.name", spans[i].service) + "," +
           Attr("service.version", "1.4.2") +
           "]},\"scopeSpans\":[{\"scope\":{\"name\":\"ui-test\"},\"spans\":[" + SpanJson(spans[i]) +
           "]}]}";
  }
  return out + "]}";
}

struct LogSpec {
  int64_t ts_ns;
  std::string severity, body, trace_id, span_id;
};

std::string LogsRequest(const std::string& service, const std::vector<LogSpec>& logs) {
  std::string out = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[" +
                    Attr("service.name", service) +
                    "]},\"scopeLogs\":[{\"scope\":{\"name\":\"ui-test\"},\"logRecords\":[";
  for (size_t i = 0; i < logs.size(); ++i) {
    const LogSpec& l = logs[i];
    if (i > 0) out += ',';
    out += "{\"timeUnixNano\":\"" + std::to_string(l.ts_ns) +
           "\",\"severityText\":" + Js(l.severity) +
           ",\"severityNumber\":" + (l.severity == "ERROR" ? "17" : "9") +
           ",\"body\":{\"stringValue\":" + Js(l.body) + "}";
    if (!l.trace_id.empty()) out += ",\"traceId\":\"" + l.trace_id + "\"";
    if (!l.span_id.empty()) out += ",\"spanId\":\"" + l.span_id + "\"";
    out += ",\"attributes\":[" + Attr("user.note", kImage) + "]}";
  }
  return out + "]}]}]}";
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(UiTest, ExploreLogsTraceViewAndExploreTracesInChromium) {
  // The environment first: a skip here would hide a broken setup.
  ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0) << "chromium missing: run ./setup";
  ASSERT_EQ(access(SourcePath("ui/node_modules/playwright-core/package.json").c_str(), R_OK), 0)
      << "playwright-core missing: run ./setup (npm ci in ui/)";

  Quartetd q;
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  Quartetd::Response index = q.Get("/");
  ASSERT_EQ(index.status, 200) << "quartetd serves no UI (was ui/ built before quartetd?): "
                               << index.body;

  // The planted trace: frontend -> checkout -> db, the db span named with
  // markup, failing with a markup status message, linked to a second trace.
  const int64_t t0 = NowNs() - int64_t{120} * 1'000'000'000;
  const uint64_t pid = static_cast<uint64_t>(getpid());
  const std::string trace = Hex(0x4bf92f3577b34da6ULL, 16) + Hex(0xa3ce929d00000000ULL | pid, 16);
  const std::string other = Hex(0x1111222233334444ULL, 16) + Hex(pid, 16);
  const std::string root = "00f067aa0ba90201", checkout = "00f067aa0ba90202",
                    db = "00f067aa0ba90203";
  std::vector<SpanSpec> spans = {
      {"frontend",
       trace,
       root,
       "",
       "GET /checkout",
       2,
       t0,
       t0 + 900'000'000,
       false,
       "",
       {Attr("http.route", "/checkout"), Attr("http.request.method", "GET")},
       ""},
      {"checkout",
       trace,
       checkout,
       root,
       "POST /api/checkout",
       2,
       t0 + 10'000'000,
       t0 + 880'000'000,
       true,
       "upstream failed",
       {Attr("http.route", "/api/checkout"), Attr("user.id", kScript)},
       ""},
      {"db",
       trace,
       db,
       checkout,
       std::string("SELECT orders ") + kImage,
       3,
       t0 + 20'000'000,
       t0 + 850'000'000,
       true,
       kScript,
       {Attr("db.statement", std::string("SELECT * FROM orders WHERE note = '") + kImage + "'")},
       ",\"events\":[{\"timeUnixNano\":\"" + std::to_string(t0 + 30'000'000) +
           "\",\"name\":" + Js(std::string("scan started ") + kScript) + ",\"attributes\":[" +
           Attr("rows", "120000") + "]}],\"links\":[{\"traceId\":\"" + other +
           "\",\"spanId\":\"00f067aa0ba90301\",\"attributes\":[]}]"},
      {"batch",
       other,
       "00f067aa0ba90301",
       "",
       "nightly batch",
       1,
       t0 - 50'000'000,
       t0 - 10'000'000,
       false,
       "",
       {},
       ""},
  };
  // Background traffic for the result list.
  for (int i = 0; i < 30; ++i) {
    const std::string id = Hex(0x7000000000000000ULL + i, 16) + Hex(pid, 16);
    spans.push_back({i % 2 ? "frontend" : "checkout",
                     id,
                     Hex(0x100 + i, 16),
                     "",
                     i % 2 ? "GET /home" : "GET /cart",
                     2,
                     t0 + i * 1'000'000'000LL,
                     t0 + i * 1'000'000'000LL + (i + 1) * 7'000'000LL,
                     false,
                     "",
                     {},
                     ""});
  }
  Quartetd::Response r = q.Post("/v1/traces", TracesRequest(spans), "application/json");
  ASSERT_EQ(r.status, 200) << r.body;

  const std::string marker = "mk" + std::to_string(pid);
  r = q.Post(
      "/v1/logs",
      LogsRequest("checkout",
                  {
                      {t0 + 25'000'000, "ERROR", marker + " payment failed " + kScript, trace, db},
                      {t0 + 26'000'000, "WARN", marker + " retrying " + kImage, trace, db},
                      {t0 + 12'000'000, "INFO", marker + " checkout started", trace, checkout},
                  }),
      "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  // Enough lines to need several pages (1000 a page) in Explore logs.
  std::vector<LogSpec> bulk;
  for (int i = 0; i < 2500; ++i) {
    bulk.push_back({t0 + i * 1'000'000LL, i % 10 ? "INFO" : "ERROR",
                    "bulk line " + std::to_string(i) + " of the load generator", "", ""});
  }
  r = q.Post("/v1/logs", LogsRequest("bulk", bulk), "application/json");
  ASSERT_EQ(r.status, 200) << r.body;

  // The browser part.
  const std::string out_dir = BinaryPath("") + "/../test-output/ui";
  std::filesystem::create_directories(out_dir);
  const std::string log_dir = TempDir("ui-browser");
  const std::string cmd = "cd " + SourcePath("ui") + " && timeout 90 node " +
                          SourcePath("tests/ui/ui_browser.mjs") + " '" + q.url() + "' '" + out_dir +
                          "' " + trace + " " + db + " " + marker + " > " + log_dir + "/out 2> " +
                          log_dir + "/err";
  const int rc = std::system(cmd.c_str());
  const std::string out = ReadFile(log_dir + "/out");
  EXPECT_EQ(rc, 0) << cmd << "\nstdout:\n" << out << "\nstderr:\n" << ReadFile(log_dir + "/err");
  EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
  for (const char* shot : {"explore-logs.png", "trace-from-log.png", "trace-by-url.png",
                           "explore-traces.png", "explore-logs-dark.png"}) {
    EXPECT_TRUE(std::filesystem::exists(out_dir + "/" + shot)) << shot;
  }
}

// The request metrics of service "uishop" as the SDK exports them
// (http_server_request_duration_seconds by method, route and status), every
// 15 s for 20 minutes up to `end_ms`: /checkout answers 10 requests a step
// (6 under 100 ms, 3 under 500 ms, 1 under 2.5 s) and fails one (under 1 s);
// /home answers 20 under 25 ms. One exemplar on /checkout's 2.5 s bucket
// points at `trace`. The database pool gauge climbs to its max of 10.
prometheus::rw::WriteRequest UiShopMetrics(int64_t end_ms, const std::string& trace,
                                           const std::string& span) {
  namespace rw = prometheus::rw;
  const std::vector<std::string> les = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                        "0.5",   "1",    "2.5",   "5",    "+Inf"};
  struct Route {
    std::string route, status;
    std::vector<std::pair<double, int>> per_step;  // (latency upper bound, requests)
  };
  const std::vector<Route> routes = {
      {"/checkout", "200", {{0.1, 6}, {0.5, 3}, {2.5, 1}}},
      {"/checkout", "500", {{1, 1}}},
      {"/home", "200", {{0.025, 20}}},
  };
  constexpr int kSteps = 80;
  const int64_t start_ms = end_ms - int64_t{kSteps} * 15'000;
  rw::WriteRequest req;
  auto series = [&](std::vector<prometheus::Label> labels) -> rw::TimeSeries& {
    std::sort(labels.begin(), labels.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    req.timeseries.push_back({});
    req.timeseries.back().labels = std::move(labels);
    return req.timeseries.back();
  };
  for (const Route& r : routes) {
    auto base = [&](const std::string& name) {
      return std::vector<prometheus::Label>{{"__name__", name},
                                            {"service_name", "uishop"},
                                            {"method", "GET"},
                                            {"route", r.route},
                                            {"status", r.status}};
    };
    int per_step = 0;
    for (const auto& [le, n] : r.per_step) per_step += n;
    rw::TimeSeries& count = series(base("http_server_request_duration_seconds_count"));
    for (int i = 0; i <= kSteps; ++i)
      count.samples.push_back({double(per_step) * i, start_ms + i * 15'000});
    for (const std::string& le : les) {
      const double bound = le == "+Inf" ? 1e300 : std::stod(le);
      int cum = 0;
      for (const auto& [upper, n] : r.per_step) cum += upper <= bound ? n : 0;
      std::vector<prometheus::Label> labels = base("http_server_request_duration_seconds_bucket");
      labels.push_back({"le", le});
      rw::TimeSeries& b = series(labels);
      for (int i = 0; i <= kSteps; ++i)
        b.samples.push_back({double(cum) * i, start_ms + i * 15'000});
      if (r.route == "/checkout" && r.status == "200" && le == "2.5") {
        b.exemplars.push_back({{{"trace_id", trace}, {"span_id", span}}, 1.8, end_ms - 300'000});
      }
    }
  }
  for (const char* state : {"active", "max"}) {
    rw::TimeSeries& g =
        series({{"__name__", "db_pool_connections"}, {"service_name", "uishop"}, {"state", state}});
    for (int i = 0; i <= kSteps; ++i) {
      g.samples.push_back(
          {std::string(state) == "max" ? 10.0 : std::min(10, i / 6), start_ms + i * 15'000});
    }
  }
  return req;
}

// One trace of `n` spans of service "bigtrace" (each span a child of an
// earlier one), in requests of 2000 spans.
std::vector<std::string> BigTrace(const std::string& trace, int n, int64_t t0) {
  std::vector<std::string> bodies;
  std::string spans;
  for (int i = 0; i < n; ++i) {
    const int parent = i == 0 ? -1 : (i - 1) / 4;
    const int64_t start = t0 + int64_t{i} * 50'000;
    if (!spans.empty()) spans += ',';
    spans += "{\"traceId\":\"" + trace + "\",\"spanId\":\"" + Hex(0xb16000000ULL + i, 16) +
             "\",\"parentSpanId\":\"" + (parent < 0 ? "" : Hex(0xb16000000ULL + parent, 16)) +
             "\",\"name\":\"op " + std::to_string(i % 97) +
             "\",\"kind\":1,\"startTimeUnixNano\":\"" + std::to_string(start) +
             "\",\"endTimeUnixNano\":\"" + std::to_string(start + 2'000'000 + (i % 13) * 100'000) +
             "\",\"attributes\":[" + Attr("i", std::to_string(i)) + "]}";
    if ((i + 1) % 2000 == 0 || i + 1 == n) {
      bodies.push_back(
          "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" + Attr("service.name", "bigtrace") +
          "]},\"scopeSpans\":[{\"scope\":{\"name\":\"ui-test\"},\"spans\":[" + spans + "]}]}]}");
      spans.clear();
    }
  }
  return bodies;
}

std::string IsoMs(int64_t ms) {
  const std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The overview, profiles and incident views (issue 8): RED numbers against
// PromQL, the heatmap's exemplar opening its trace, the flame graph from a
// flamebearer fixture, the incident report from a fixture, each by URL alone;
// a 10k-span trace timed.
TEST(UiTest, OverviewProfilesAndIncidentInChromium) {
  ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0) << "chromium missing: run ./setup";
  ASSERT_EQ(access(SourcePath("ui/node_modules/playwright-core/package.json").c_str(), R_OK), 0)
      << "playwright-core missing: run ./setup (npm ci in ui/)";
  // An alert that fires on the seeded 500s, for the overview's alert strip.
  const std::string config_dir = TempDir("ui-views-config");
  std::ofstream(config_dir + "/rules.yml")
      << "groups:\n- name: ui\n  rules:\n  - alert: UiShopErrors\n"
      << "    expr: sum by (service_name) (rate(http_server_request_duration_seconds_count"
      << "{service_name=\"uishop\", status=~\"5..\"}[5m])) > 0\n"
      << "    labels: {severity: page}\n"
      << "    annotations: {summary: \"uishop answers 5xx\"}\n";
  std::ofstream(config_dir + "/quartetd.yml")
      << "global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n";
  Quartetd q({"--config", config_dir + "/quartetd.yml"});
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  ASSERT_EQ(q.Get("/").status, 200) << "quartetd serves no UI";

  const uint64_t pid = static_cast<uint64_t>(getpid());
  const int64_t now_ns = NowNs();
  const int64_t end_ms = (now_ns / 1'000'000 / 15'000) * 15'000;
  const std::string trace = Hex(0x5ea1ed0000000000ULL, 16) + Hex(pid, 16);
  const std::string span = "00f067aa0ba90401";
  const int64_t t0 = (end_ms - 300'000) * int64_t{1'000'000};
  std::vector<SpanSpec> spans = {
      {"uishop",
       trace,
       span,
       "",
       "GET /checkout",
       2,
       t0,
       t0 + 1'800'000'000,
       false,
       "",
       {Attr("http.route", "/checkout")},
       ""},
      {"uishop",
       trace,
       "00f067aa0ba90402",
       span,
       std::string("SELECT ") + kImage,
       3,
       t0 + 5'000'000,
       t0 + 1'700'000'000,
       false,
       "",
       {},
       ""},
  };
  Quartetd::Response r = q.Post("/v1/traces", TracesRequest(spans), "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  r = q.Post("/api/v1/write",
             prometheus::rw::EncodeRemoteWriteBody(UiShopMetrics(end_ms, trace, span)),
             "application/x-protobuf", {{"Content-Encoding", "snappy"}});
  ASSERT_TRUE(r.status == 200 || r.status == 204) << r.status << " " << r.body;
  // Annotations once quartetd has them (another session builds the API).
  r = q.Post("/api/annotations",
             "{\"time\":" + std::to_string(end_ms - 600'000) +
                 ",\"tags\":[\"deploy\",\"uishop\"],\"text\":" +
                 Js(std::string("migration drops index ") + kImage) + "}",
             "application/json");
  const bool annotations = r.status != 404;
  if (annotations) {
    ASSERT_EQ(r.status, 200) << r.body;
  }
  const std::string big = Hex(0xb16b16b16b16b16bULL, 16) + Hex(pid, 16);
  for (const std::string& body : BigTrace(big, 10'000, t0)) {
    r = q.Post("/v1/traces", body, "application/json");
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  }

  const std::string out_dir = BinaryPath("") + "/../test-output/ui";
  std::filesystem::create_directories(out_dir);
  const std::string log_dir = TempDir("ui-views-browser");
  const std::string cmd = "cd " + SourcePath("ui") + " && timeout 150 node " +
                          SourcePath("tests/ui/ui_views_browser.mjs") + " '" + q.url() + "' '" +
                          out_dir + "' " + trace + " " + big + " uishop " +
                          IsoMs(end_ms - 20 * 60'000) + " " + IsoMs(end_ms) + " " +
                          (annotations ? "1" : "0") + " '" + SourcePath("tests/ui/fixtures") +
                          "' > " + log_dir + "/out 2> " + log_dir + "/err";
  const int rc = std::system(cmd.c_str());
  const std::string out = ReadFile(log_dir + "/out");
  EXPECT_EQ(rc, 0) << cmd << "\nstdout:\n" << out << "\nstderr:\n" << ReadFile(log_dir + "/err");
  EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
  std::printf("ui figures: %s\n", out.c_str());
  for (const char* shot : {"overview.png", "overview-dark.png", "profiles.png", "profiles-diff.png",
                           "incident.png", "trace-10k.png"}) {
    EXPECT_TRUE(std::filesystem::exists(out_dir + "/" + shot)) << shot;
  }
}

}  // namespace
}  // namespace quartet::testing