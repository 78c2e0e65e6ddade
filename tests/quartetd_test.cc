// quartetd end to end: the real binary on loopback, fed by real clients
// nobody here wrote (the OpenTelemetry JS SDK, pino-loki, winston-loki, the
// captured requests of ../shared/fixtures/real-clients) and queried through
// its Tempo, Loki and links APIs; then killed with -9 mid-ingest and
// restarted, and fed bad input. A missing peer fails the test.
#include "tests/support/quartetd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "base/base64.h"
#include "base/hex.h"
#include "tests/support/checkout.h"
#include "tests/support/fixtures.h"
#include "wire/json/json_parser.h"
#include "wire/otlp/encode_model.h"

namespace quartet::testing {
namespace {

json::Value ParseJson(const std::string& text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << "not JSON: " << text.substr(0, 300);
  return v.ok() ? std::move(*v) : json::Value();
}

const json::Value& Member(const json::Value& v, std::string_view key) {
  static const json::Value kNull;
  const json::Value* m = v.Find(key);
  return m == nullptr ? kNull : *m;
}

std::string Str(const json::Value& v, std::string_view key) {
  const json::Value& m = Member(v, key);
  return m.is_string() ? m.string_value() : "<absent>";
}

// Runs a script of tests/peers with node and returns its last stdout line
// parsed as JSON.
json::Value RunPeer(const std::string& script, const std::vector<std::string>& args) {
  EXPECT_EQ(access(SourcePath("tests/peers/node_modules/@opentelemetry/sdk-node").c_str(), R_OK), 0)
      << "npm peers missing: run ./setup";
  std::string dir = TempDir("peer");
  std::string cmd = "cd " + SourcePath("tests/peers") + " && timeout 60 node " + script;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " > " + dir + "/out 2> " + dir + "/err";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd << "\n" << ReadFile(dir + "/err");
  std::string out = ReadFile(dir + "/out");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return ParseJson(out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1));
}

TEST(QuartetdTest, OpenTelemetryJsSdkTracesAndLogsAreFoundByIdSearchAndLinks) {
  Quartetd q;
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  ASSERT_NE(q.grpc_port(), 0);
  for (const std::string protocol : {"http/protobuf", "http/json", "grpc"}) {
    SCOPED_TRACE(protocol);
    const std::string service = "js-" + std::string(protocol == "http/json" ? "json"
                                                    : protocol == "grpc"    ? "grpc"
                                                                            : "proto");
    const std::string endpoint =
        protocol == "grpc" ? "http://127.0.0.1:" + std::to_string(q.grpc_port()) : q.url();
    json::Value sent = RunPeer("otel_sender.js", {endpoint, protocol, service});
    const std::string trace_id = Str(sent, "trace_id");
    ASSERT_EQ(trace_id.size(), 32u);

    // Trace by id, no time range: both spans, Tempo-shaped (base64 ids).
    Quartetd::Response r = q.Get("/api/traces/" + trace_id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"name\":\"GET /checkout\""), std::string::npos);
    EXPECT_NE(r.body.find("\"name\":\"SELECT orders\""), std::string::npos);
    EXPECT_NE(r.body.find("\"kind\":\"SPAN_KIND_SERVER\""), std::string::npos);
    EXPECT_NE(r.body.find("\"code\":\"STATUS_CODE_ERROR\""), std::string::npos);
    EXPECT_NE(r.body.find("\"name\":\"scan started\""), std::string::npos);
    std::string raw(8, '\0');
    ASSERT_TRUE(HexDecode(Str(sent, "child_span_id"), reinterpret_cast<uint8_t*>(raw.data()), 8));
    EXPECT_NE(r.body.find("\"spanId\":\"" + Base64Encode(raw) + "\""), std::string::npos);

    // The correlation entry: root facts, both spans, both log records.
    r = q.Get("/api/v1/traces/" + trace_id + "/summary");
    ASSERT_EQ(r.status, 200) << r.body;
    json::Value summary = Member(ParseJson(r.body), "data");
    EXPECT_EQ(Str(summary, "rootServiceName"), service);
    EXPECT_EQ(Str(summary, "rootTraceName"), "GET /checkout");
    EXPECT_EQ(Str(summary, "rootRoute"), "/checkout");
    EXPECT_EQ(Member(summary, "spanCount").int_value(), 2);
    EXPECT_EQ(Member(summary, "logCount").int_value(), 2);
    EXPECT_TRUE(Member(summary, "error").bool_value());

    // Its logs, then one span's logs, with no time range.
    r = q.Get("/api/v1/traces/" + trace_id + "/logs");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("query started"), std::string::npos);
    EXPECT_NE(r.body.find("query too slow"), std::string::npos);
    r = q.Get("/api/v1/traces/" + trace_id + "/logs?span_id=" + Str(sent, "root_span_id"));
    EXPECT_EQ(r.body.find("query started"), std::string::npos) << "the root span has no logs";

    // TraceQL finds it by route and service; a log line leads back to it.
    r = q.Query("/api/search",
                {{"q", "{ span.http.route = \"/checkout\" && resource.service.name = \"" + service +
                           "\" }"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"traceID\":\"" + trace_id + "\""), std::string::npos) << r.body;
    r = q.Query("/loki/api/v1/query_range",
                {{"query", "{service_name=\"" + service + "\"} |= \"too slow\""}, {"start", "0"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"trace_id\":\"" + trace_id + "\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"severity_text\":\"ERROR\""), std::string::npos);
  }
}

TEST(QuartetdTest, PinoLokiAndWinstonLokiPushesAreQueryable) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  const std::string marker = "mk" + std::to_string(getpid());
  json::Value sent = RunPeer("loki_senders.js", {q.url(), marker});
  ASSERT_EQ(Str(sent, "marker"), marker);
  Quartetd::Response r =
      q.Query("/loki/api/v1/query_range",
              {{"query", "{app=~\"pino-app|winston-app\"} |= \"" + marker + "\""},
               {"start", "0"},
               {"direction", "forward"}});
  ASSERT_EQ(r.status, 200) << r.body;
  for (const char* line : {"one", "two", "with trace", "plain"}) {
    EXPECT_NE(r.body.find(marker + " " + line), std::string::npos) << line << "\n" << r.body;
  }
  // pino's line carries trace_id in its JSON: it is indexed for that trace.
  r = q.Get("/api/v1/traces/" + Str(sent, "trace_id") + "/logs");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(marker + " with trace"), std::string::npos) << r.body;
  r = q.Get("/loki/api/v1/label/app/values?start=0");
  EXPECT_NE(r.body.find("\"pino-app\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"winston-app\""), std::string::npos);
}

TEST(QuartetdTest, CapturedRealClientRequestsReplay) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  // Each capture is replayed as recorded: its path, Content-Type and
  // Content-Encoding come from the capture's .json; OTLP metrics (env/0003)
  // included.
  const char* names[] = {"otel/0001", "otel/0002", "otel/0003", "otel/0004",
                         "otel/0005", "env/0001",  "env/0002",  "env/0003",
                         "loki/0001", "loki/0002", "loki/0003", "loki/0004"};
  for (const char* name : names) {
    json::Value meta = ParseJson(ReadFixture(std::string(name) + ".json"));
    const std::string path = Str(meta, "path");
    std::string content_type;
    httplib::Headers headers;
    for (const json::Value& h : Member(meta, "headers").items()) {
      std::string key = h.items()[0].string_value();
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (key == "content-type") content_type = h.items()[1].string_value();
      if (key == "content-encoding" || key == "x-scope-orgid") {
        headers.emplace(key, h.items()[1].string_value());
      }
    }
    Quartetd::Response r =
        q.Post(path, ReadFixture(std::string(name) + ".bin"), content_type, headers);
    const int want = path == "/loki/api/v1/push" ? 204 : 200;
    EXPECT_EQ(r.status, want) << name << " " << path << ": " << r.body;
  }
  // The gRPC exporter's bodies (frame removed) are the same protobuf.
  EXPECT_EQ(q.Post("/v1/traces", ReadFixture("grpc/1.bin"), "application/x-protobuf").status, 200);
  // The JS SDK's captured parent span, by its id (from otel/0003.txt).
  Quartetd::Response r = q.Get("/api/traces/98d748a67d9c21cf805598cab6ab3896");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"name\":\"child-op\""), std::string::npos);
  EXPECT_NE(r.body.find("\"name\":\"parent-op\""), std::string::npos);
  r = q.Query("/loki/api/v1/query_range",
              {{"query", "{service_name=\"peer-test\"}"}, {"start", "0"}});
  EXPECT_NE(r.body.find("hello log"), std::string::npos) << r.body;
  r = q.Query("/loki/api/v1/query_range",
              {{"query", "{app=\"winston-app\", mode=\"proto\"}"}, {"start", "0"}});
  EXPECT_NE(r.body.find("hello from winston"), std::string::npos) << r.body;
}

// One OTLP request of `spans` root spans, each its own trace, ids from `seed`.
std::string SpansRequest(uint64_t seed, int spans, std::vector<TraceId>* ids) {
  otlp::ExportTraceServiceRequest request;
  otlp::ResourceSpans& rs = request.resource_spans.emplace_back();
  rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String("load")});
  otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
  for (int i = 0; i < spans; ++i) {
    otlp::Span& span = ss.spans.emplace_back();
    const uint64_t n = seed * 1000 + static_cast<uint64_t>(i) + 1;
    std::memcpy(span.trace_id.bytes.data(), &n, 8);
    span.trace_id.bytes[15] = 0x5a;
    span.span_id.bytes[0] = 1;
    span.name = "op";
    span.start_time_unix_nano = 1'700'000'000'000'000'000ull + n;
    span.end_time_unix_nano = span.start_time_unix_nano + 1000;
    span.attributes.push_back({"payload", otlp::AnyValue::String(std::string(200, 'x'))});
    ids->push_back(span.trace_id);
  }
  return otlp::EncodeTraces(request);
}

TEST(QuartetdTest, Kill9DuringSustainedIngestLosesNothingAcknowledged) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  std::mutex mu;
  std::vector<TraceId> acked_traces;
  std::vector<std::string> acked_lines;  // trace ids of acknowledged Loki lines
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t batch = 0; !stop; ++batch) {
        const uint64_t seed = batch * 8 + static_cast<uint64_t>(w);
        std::vector<TraceId> ids;
        Quartetd::Response r;
        if (w < 2) {
          r = q.Post("/v1/traces", SpansRequest(seed, 50, &ids), "application/x-protobuf");
        } else {
          // Loki lines, each carrying its own trace id in structured metadata.
          std::string body = "{\"streams\":[{\"stream\":{\"app\":\"load\"},\"values\":[";
          for (int i = 0; i < 20; ++i) {
            TraceId id;
            const uint64_t n = seed * 1000 + static_cast<uint64_t>(i) + 1;
            std::memcpy(id.bytes.data(), &n, 8);
            id.bytes[15] = 0x7b;
            ids.push_back(id);
            body += std::string(i ? "," : "") + "[\"" +
                    std::to_string(1'700'000'000'000'000'000ull + n) + "\",\"line " +
                    std::to_string(n) + "\",{\"trace_id\":\"" + id.ToHex() + "\"}]";
          }
          body += "]}]}";
          r = q.Post("/loki/api/v1/push", body, "application/json");
        }
        if (r.status == 200 || r.status == 204) {
          std::lock_guard<std::mutex> lock(mu);
          for (const TraceId& id : ids) {
            if (w < 2) {
              acked_traces.push_back(id);
            } else {
              acked_lines.push_back(id.ToHex());
            }
          }
        } else if (r.status == 0) {
          return;  // the server is gone
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_GT(acked_traces.size(), 500u) << "ingest too slow to test anything";
  }
  // kill -9 while the writers are mid-request; they stop at the first
  // failed connection, then quartetd restarts on the same data.
  q.process().Kill9();
  stop = true;
  for (std::thread& t : writers) t.join();
  ASSERT_TRUE(q.Restart(/*kill9=*/true));

  std::lock_guard<std::mutex> lock(mu);
  size_t missing = 0;
  for (const TraceId& id : acked_traces) {
    if (q.Get("/api/v1/traces/" + id.ToHex() + "/summary").status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked_traces.size() << " acknowledged traces";
  size_t missing_lines = 0;
  for (const std::string& id : acked_lines) {
    Quartetd::Response r = q.Get("/api/v1/traces/" + id + "/summary");
    if (r.status != 200 || r.body.find("\"logCount\":1") == std::string::npos) ++missing_lines;
  }
  EXPECT_EQ(missing_lines, 0u) << "of " << acked_lines.size() << " acknowledged log lines";
  std::printf("kill -9 after %zu acknowledged spans and %zu lines: %zu and %zu missing\n",
              acked_traces.size(), acked_lines.size(), missing, missing_lines);
}

TEST(QuartetdTest, BadInputGetsPrecise4xxAndLosesNothing) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  ASSERT_EQ(q.Post("/v1/traces", ReadFixture("otel/0003.bin"), "application/x-protobuf").status,
            200);
  const std::string good = ReadFixture("otel/0004.bin");
  struct Case {
    std::string path, body, type;
    int want;
    std::string message;
  };
  const Case cases[] = {
      {"/v1/traces", good.substr(0, good.size() / 2), "application/x-protobuf", 400, ""},
      {"/v1/traces", "{\"resourceSpans\":[", "application/json", 400, ""},
      {"/v1/traces", "hello", "text/plain", 415, "application/x-protobuf"},
      {"/v1/logs", "{]", "application/json", 400, ""},
      {"/loki/api/v1/push", "{\"streams\":5}", "application/json", 400, "streams"},
  };
  for (const Case& c : cases) {
    Quartetd::Response r = q.Post(c.path, c.body, c.type);
    EXPECT_EQ(r.status, c.want) << c.path << " " << c.type << ": " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << r.body;
  }
  // Malformed queries: 400 naming the position.
  Quartetd::Response r = q.Query("/api/search", {{"q", "{ span.http.route = }"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("1:"), std::string::npos) << r.body;
  r = q.Query("/loki/api/v1/query_range", {{"query", "{app=\"x\"} |= "}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("parse error"), std::string::npos) << r.body;
  r = q.Query("/loki/api/v1/query_range", {{"query", "{app=\"x\"}"}, {"start", "soon"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("start"), std::string::npos) << r.body;
  EXPECT_EQ(q.Get("/api/traces/not-hex").status, 400);
  EXPECT_EQ(q.Get("/api/traces/0123456789abcdef0123456789abcdef").status, 404);
  // What was stored before is still served.
  EXPECT_EQ(q.Get("/api/traces/98d748a67d9c21cf805598cab6ab3896").status, 200);
}

TEST(QuartetdTest, CleanShutdownThenRestartServesEverything) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  ASSERT_EQ(q.Post("/v1/traces", ReadFixture("otel/0004.bin"), "application/x-protobuf").status,
            200);
  EXPECT_EQ(q.Get("/ready").status, 200);
  EXPECT_EQ(q.Get("/healthz").status, 200);
  Quartetd::Response metrics = q.Get("/metrics");
  EXPECT_NE(metrics.body.find("quartetd_ingest_spans_accepted_total 1"), std::string::npos)
      << metrics.body;
  ASSERT_TRUE(q.Restart(/*kill9=*/false));
  EXPECT_EQ(q.process().ReadStdout().find("\"level\":\"ERROR\""), std::string::npos);
  EXPECT_EQ(q.Get("/api/traces/98d748a67d9c21cf805598cab6ab3896").status, 200);
}

}  // namespace
}  // namespace quartet::testing

namespace quartet::testing {
namespace {

// The reference incident's path, with the example service sending to quartetd
// with only OTEL_EXPORTER_OTLP_ENDPOINT set (plus a short batch delay): after
// the "migration" drops the index of its 12M-row table, /checkout under a
// little concurrent load takes over 500 ms; the issue's TraceQL search finds
// those traces; each leads to exactly the log lines the service wrote for it,
// and a log line found by LogQL leads back to its trace.
TEST(QuartetdTest, CheckoutSlowTraceLeadsToExactlyItsLogLinesAndBack) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  CheckoutService service(q.url(), {{"OTEL_SERVICE_NAME", "checkout"}}, {"--orders", "12000000"});
  ASSERT_TRUE(service.ready());
  httplib::Client client("http://" + service.address());
  client.set_read_timeout(std::chrono::seconds(60));
  ASSERT_EQ(client.Post("/admin/migration?action=drop_index", "", "text/plain")->status, 200);
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<std::thread> users;
    for (int i = 0; i < 4; ++i) {
      users.emplace_back([&] {
        httplib::Client c("http://" + service.address());
        c.set_read_timeout(std::chrono::seconds(60));
        auto r = c.Get("/checkout?user_id=42");
        EXPECT_TRUE(r && r->status == 200);
      });
    }
    for (std::thread& t : users) t.join();
  }

  // What the service wrote: its "db query" lines by trace id, and the slowest.
  std::map<std::string, std::vector<std::string>> lines_by_trace;
  double slowest_ms = 0;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        lines_by_trace.clear();
        for (const json::Value& line : service.LogLines()) {
          const std::string trace = JsonString(line, "trace_id");
          if (trace == "<absent>") continue;
          lines_by_trace[trace].push_back(JsonString(line, "message"));
          const json::Value* ms = line.Find("duration_ms");
          if (ms != nullptr && ms->is_number())
            slowest_ms = std::max(slowest_ms, ms->double_value());
        }
        return lines_by_trace.size() >= 8;
      },
      std::chrono::seconds(10)));
  ASSERT_GT(slowest_ms, 500) << "the scan of 12M rows was not slow: the incident did not happen";
  const std::string query = R"({ span.http.route = "/checkout" && duration > 500ms })";

  json::Value found;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        Quartetd::Response r = q.Query("/api/search", {{"q", query}});
        found = ParseJson(r.body);
        return r.status == 200 && !Member(found, "traces").items().empty();
      },
      std::chrono::seconds(15)))
      << query;
  for (const json::Value& trace : Member(found, "traces").items()) {
    const std::string id = Str(trace, "traceID");
    ASSERT_TRUE(lines_by_trace.count(id)) << "a trace the service did not log: " << id;
    EXPECT_EQ(Str(trace, "rootTraceName"), "GET /checkout");
    // Exactly its log lines, with no time range: wait for the log export.
    std::string logs;
    ASSERT_TRUE(Process::WaitFor(
        [&] {
          logs = q.Get("/api/v1/traces/" + id + "/logs").body;
          size_t n = 0;
          for (size_t at = logs.find("\"values\":["); at != std::string::npos;
               at = logs.find("[\"", at + 1)) {
            ++n;
          }
          return n > lines_by_trace[id].size();  // the "values" marker plus one per line
        },
        std::chrono::seconds(15)))
        << logs;
    for (const std::string& message : lines_by_trace[id]) {
      EXPECT_NE(logs.find(message), std::string::npos) << message << " not in " << logs;
    }
    json::Value summary =
        Member(ParseJson(q.Get("/api/v1/traces/" + id + "/summary").body), "data");
    EXPECT_EQ(Member(summary, "logCount").int_value(),
              static_cast<int64_t>(lines_by_trace[id].size()));
  }

  // And back: a log line found by LogQL carries its trace id, which opens the trace.
  Quartetd::Response r = q.Query(
      "/loki/api/v1/query_range",
      {{"query", "{service_name=\"checkout\"} |= \"db query\""}, {"start", "0"}, {"limit", "1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const size_t at = r.body.find("\"trace_id\":\"");
  ASSERT_NE(at, std::string::npos) << r.body;
  const std::string trace_id = r.body.substr(at + 12, 32);
  // The newest line may belong to a request whose spans are still in the
  // service's batch exporter: the trace arrives within the export delay.
  Quartetd::Response trace;
  EXPECT_TRUE(Process::WaitFor(
      [&] {
        trace = q.Get("/api/traces/" + trace_id);
        return trace.status == 200;
      },
      std::chrono::seconds(15)))
      << trace_id << ": " << trace.status;
  EXPECT_NE(trace.body.find("\"name\":\"GET /checkout\""), std::string::npos);
}

}  // namespace
}  // namespace quartet::testing

namespace quartet::testing {
namespace {

std::vector<std::filesystem::path> FilesWithExtension(const std::filesystem::path& dir,
                                                      const std::string& ext) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Disk damage: a flipped byte in a block and a torn WAL tail are detected and
// reported at restart; everything else is served.
TEST(QuartetdTest, FlippedBlockByteAndTornWalTailAreReportedAndTheRestIsServed) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  // Traces and logs, written to blocks by the clean shutdown.
  ASSERT_EQ(q.Post("/v1/traces", ReadFixture("otel/0003.bin"), "application/x-protobuf").status,
            200);
  ASSERT_EQ(q.Post("/loki/api/v1/push", ReadFixture("loki/0001.bin"), "application/json").status,
            204);
  ASSERT_TRUE(q.Restart(/*kill9=*/false));
  const std::vector<std::filesystem::path> trace_blocks =
      FilesWithExtension(q.data_dir() + "/traces", ".blk");
  ASSERT_EQ(trace_blocks.size(), 1u);
  ASSERT_EQ(FilesWithExtension(q.data_dir() + "/logs", ".blk").size(), 1u);

  // Two more trace batches, only in the WAL (kill -9, no flush).
  ASSERT_EQ(q.Post("/v1/traces", ReadFixture("otel/0004.bin"), "application/x-protobuf").status,
            200);
  ASSERT_EQ(q.Post("/v1/traces", ReadFixture("grpc/2.bin"), "application/x-protobuf").status, 200);
  q.process().Kill9();

  // Damage: a byte of the trace block's footer, and the WAL's last 5 bytes.
  {
    std::fstream block(trace_blocks[0], std::ios::in | std::ios::out | std::ios::binary);
    block.seekg(-20, std::ios::end);
    char c;
    block.read(&c, 1);
    c ^= 0x5a;
    block.seekp(-20, std::ios::end);
    block.write(&c, 1);
  }
  const std::vector<std::filesystem::path> segments =
      FilesWithExtension(q.data_dir() + "/traces", ".wal");
  ASSERT_FALSE(segments.empty());
  std::filesystem::resize_file(segments.back(), std::filesystem::file_size(segments.back()) - 5);

  ASSERT_TRUE(q.Restart(/*kill9=*/true)) << q.process().ReadStdout();
  EXPECT_EQ(q.Get("/ready").status, 200);
  const std::string out = q.process().ReadStdout();
  EXPECT_NE(out.find("damaged or leftover block file"), std::string::npos) << out;
  EXPECT_NE(out.find("WAL torn tail truncated"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(trace_blocks[0].string() + ".corrupt"));
  EXPECT_NE(q.Get("/metrics").body.find("quartetd_store_damaged_blocks 1"), std::string::npos);

  // The rest is served: the earlier WAL batch and the log block.
  // otel/0003 (child-op) was in the damaged block, otel/0004 (parent-op, the
  // same trace) in the WAL before the torn tail.
  Quartetd::Response trace = q.Get("/api/traces/98d748a67d9c21cf805598cab6ab3896");
  EXPECT_EQ(trace.status, 200);
  EXPECT_NE(trace.body.find("\"name\":\"parent-op\""), std::string::npos) << trace.body;
  EXPECT_EQ(trace.body.find("\"name\":\"child-op\""), std::string::npos);
  Quartetd::Response logs =
      q.Query("/loki/api/v1/query_range", {{"query", "{app=\"pino-app\"}"}, {"start", "0"}});
  EXPECT_NE(logs.body.find("hello from pino"), std::string::npos) << logs.body;
}

}  // namespace
}  // namespace quartet::testing

namespace quartet::testing {
namespace {

std::string PushOfDistinctStreams(int first, int count) {
  std::string body = "{\"streams\":[";
  for (int i = first; i < first + count; ++i) {
    if (i > first) body += ',';
    body += "{\"stream\":{\"request_id\":\"" + std::to_string(i) +
            "\"},\"values\":[[\"1700000000000000000\",\"x\"]]}";
  }
  return body + "]}";
}

// A label with unbounded values (10^6 request ids as labels) is refused with
// a 4xx naming the limit; what was stored stays.
TEST(QuartetdTest, MillionLabelValuesAreRefusedWithAPreciseError) {
  Quartetd q({"--max-streams", "1000"});
  ASSERT_TRUE(q.ready());
  ASSERT_EQ(q.Post("/loki/api/v1/push", ReadFixture("loki/0001.bin"), "application/json").status,
            204);
  // 10^6 values in one push: over the 20 MiB body limit.
  Quartetd::Response r =
      q.Post("/loki/api/v1/push", PushOfDistinctStreams(0, 1'000'000), "application/json");
  EXPECT_EQ(r.status, 413) << r.body;
  // More new streams than the limit in one request: 400 naming it.
  r = q.Post("/loki/api/v1/push", PushOfDistinctStreams(0, 1500), "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("over the limit of 1000 active streams"), std::string::npos) << r.body;
  // Requests that fit alone but not together: 429 with Retry-After.
  EXPECT_EQ(q.Post("/loki/api/v1/push", PushOfDistinctStreams(0, 600), "application/json").status,
            204);
  r = q.Post("/loki/api/v1/push", PushOfDistinctStreams(600, 600), "application/json");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.headers.count("Retry-After"), 1u);
  Quartetd::Response kept =
      q.Query("/loki/api/v1/query_range", {{"query", "{app=\"pino-app\"}"}, {"start", "0"}});
  EXPECT_NE(kept.body.find("hello from pino"), std::string::npos);
}

}  // namespace
}  // namespace quartet::testing

namespace quartet::testing {
namespace {

// Overload: quartetd with a memory limit it is always over pushes back with
// 429 + Retry-After while it writes to disk; the SDK's OTLP exporters (the
// checkout service's) retry, and every trace and log line still arrives.
double PushedBack(const Quartetd& q) {
  const std::string metrics = q.Get("/metrics").body;
  constexpr std::string_view kName = "\nquartetd_ingest_pushed_back_total ";
  const size_t at = metrics.find(kName);
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + kName.size()));
}

TEST(QuartetdTest, PushBackIsRetriedByTheSdkExportersWithoutLoss) {
  Quartetd q({"--memory-limit", "1"});
  ASSERT_TRUE(q.ready());
  CheckoutService service(q.url(), {{"OTEL_SERVICE_NAME", "checkout"}});
  ASSERT_TRUE(service.ready());
  httplib::Client client("http://" + service.address());
  // Requests until quartetd has pushed back at least once (an export landed
  // while a flush was under way), then a few more.
  int sent = 0;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        for (int i = 0; i < 5; ++i) {
          EXPECT_EQ(client.Get("/checkout?user_id=" + std::to_string(++sent % 50 + 1))->status,
                    200);
        }
        return PushedBack(q) > 0;
      },
      std::chrono::seconds(60)))
      << "quartetd never pushed back";
  for (int i = 0; i < 5; ++i) client.Get("/checkout?user_id=" + std::to_string(++sent % 50 + 1));

  // Every request's log line, once the service's log writer has written it.
  std::map<std::string, int> lines_by_trace;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        lines_by_trace.clear();
        for (const json::Value& line : service.LogLines()) {
          const std::string trace = JsonString(line, "trace_id");
          if (trace != "<absent>") ++lines_by_trace[trace];
        }
        return lines_by_trace.size() == static_cast<size_t>(sent);
      },
      std::chrono::seconds(10)))
      << lines_by_trace.size() << " traced log lines for " << sent << " requests";
  std::map<std::string, int> missing;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        missing.clear();
        for (const auto& [trace, lines] : lines_by_trace) {
          Quartetd::Response r = q.Get("/api/v1/traces/" + trace + "/summary");
          json::Value summary = Member(ParseJson(r.body), "data");
          if (r.status != 200 || Member(summary, "spanCount").int_value() < 1 ||
              Member(summary, "logCount").int_value() != lines) {
            missing[trace] = lines;
          }
        }
        return missing.empty();
      },
      std::chrono::seconds(60)))
      << missing.size() << " of " << sent << " traces incomplete";
  std::printf("%d requests, %.0f ingest requests pushed back, none lost\n", sent, PushedBack(q));
}

}  // namespace
}  // namespace quartet::testing
