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

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/quartetd.h"

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

}  // namespace
}  // namespace quartet::testing
