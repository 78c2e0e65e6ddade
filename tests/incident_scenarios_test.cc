// The incident report on incidents with known causes: each scenario sends a
// healthy baseline and then an incident, with their own timestamps, to the
// real quartetd over OTLP/HTTP (traces, logs, metrics) and Grafana's
// annotation API, then asks GET /api/v1/incident and checks that the ranked
// findings name the right things (and that a healthy service gets nothing).
// IncidentTiming* measures the report on one hour of data at a chosen rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>

#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"
#include "wire/otlp/encode_model.h"
#include "wire/otlp/model.h"

namespace quartet::testing {
namespace {

using otlp::AnyValue;
using otlp::KeyValue;
using otlp::SpanKind;

constexpr int64_t kMs = 1000000;
constexpr int64_t kSec = 1000 * kMs;
constexpr int64_t kMin = 60 * kSec;

struct ChildSpec {
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  int64_t offset_ns = 0, duration_ns = 0;
  std::vector<KeyValue> attributes;
  bool error = false;
  std::string service;  // "" = the request's service
  // Index of an earlier child this one is nested in (it then starts
  // offset_ns after that child's start); -1 = a child of the entry span.
  int parent = -1;
  std::string version;  // of `service`; "" = the request's version
  std::string status_message;
  std::vector<otlp::SpanEvent> events;
};

struct LogSpec {
  std::string body;
  std::vector<KeyValue> attributes;
  bool error = false;
};

struct RequestSpec {
  std::string service, version = "1.0.0";
  int64_t start_ns = 0, self_ns = 0;  // entry span: its own time besides children
  std::string route, method = "GET";
  int status = 200;
  std::vector<KeyValue> attributes;
  std::vector<ChildSpec> children;  // run one after the other after self_ns/2
  std::vector<LogSpec> logs;
  // More resource attributes of the service's spans and logs (zone, host).
  std::vector<KeyValue> resource;
  std::string status_message;
  std::vector<otlp::SpanEvent> events;  // of the entry span
  // Entry span name; "" = "<method> <route>". With no_route the entry span
  // has no http.* attributes (an RPC server).
  std::string name;
  bool no_route = false;
};

// An exception event as OpenTelemetry's semantic conventions record it.
otlp::SpanEvent Exception(int64_t t_ns, const std::string& type, const std::string& message) {
  otlp::SpanEvent e;
  e.time_unix_nano = static_cast<uint64_t>(t_ns);
  e.name = "exception";
  e.attributes = {{"exception.type", AnyValue::String(type)},
                  {"exception.message", AnyValue::String(message)}};
  return e;
}

// Builds OTLP requests from request specs, grouped by resource, and posts
// them in batches.
class Sender {
 public:
  explicit Sender(const Quartetd& q) : q_(q) {}
  ~Sender() { Flush(); }

  void Add(const RequestSpec& r) {
    // Random ids, as W3C requires (the store hashes their low bytes).
    TraceId trace;
    const uint64_t hi = ids_(), lo = ids_();
    std::memcpy(trace.bytes.data(), &hi, 8);
    std::memcpy(trace.bytes.data() + 8, &lo, 8);
    SpanId root_id = NextSpan();
    int64_t t = r.start_ns + r.self_ns / 2;
    otlp::Span root;
    root.trace_id = trace;
    root.span_id = root_id;
    root.name = r.name.empty() ? r.method + " " + r.route : r.name;
    root.kind = SpanKind::kServer;
    if (!r.no_route) {
      root.attributes = {{"http.route", AnyValue::String(r.route)},
                         {"http.request.method", AnyValue::String(r.method)},
                         {"http.response.status_code", AnyValue::Int(r.status)}};
    }
    root.attributes.insert(root.attributes.end(), r.attributes.begin(), r.attributes.end());
    if (r.status >= 500) root.status.code = otlp::SpanStatusCode::kError;
    root.status.message = r.status_message;
    root.events = r.events;
    std::vector<std::pair<SpanId, int64_t>> placed;  // children's ids and starts
    for (const ChildSpec& c : r.children) {
      otlp::Span s;
      s.trace_id = trace;
      s.span_id = NextSpan();
      s.name = c.name;
      s.kind = c.kind;
      int64_t start = t + c.offset_ns;
      if (c.parent >= 0) {
        s.parent_span_id = placed[static_cast<size_t>(c.parent)].first;
        start = placed[static_cast<size_t>(c.parent)].second + c.offset_ns;
      } else {
        s.parent_span_id = root_id;
        t += c.offset_ns + c.duration_ns;
      }
      placed.emplace_back(s.span_id, start);
      s.start_time_unix_nano = static_cast<uint64_t>(start);
      s.end_time_unix_nano = static_cast<uint64_t>(start + c.duration_ns);
      s.attributes = c.attributes;
      if (c.error) s.status.code = otlp::SpanStatusCode::kError;
      s.status.message = c.status_message;
      s.events = c.events;
      if (c.service.empty() || c.service == r.service) {
        Spans(r.service, r.version, r.resource).push_back(std::move(s));
      } else {
        Spans(c.service, c.version.empty() ? r.version : c.version, {}).push_back(std::move(s));
      }
    }
    root.start_time_unix_nano = static_cast<uint64_t>(r.start_ns);
    root.end_time_unix_nano = static_cast<uint64_t>(t + r.self_ns - r.self_ns / 2);
    Spans(r.service, r.version, r.resource).push_back(std::move(root));
    for (const LogSpec& l : r.logs) {
      otlp::LogRecord rec;
      rec.time_unix_nano = static_cast<uint64_t>(r.start_ns + r.self_ns / 2);
      rec.severity_number = l.error ? otlp::kSeverityError : otlp::kSeverityInfo;
      rec.severity_text = l.error ? "ERROR" : "INFO";
      rec.body = AnyValue::String(l.body);
      rec.attributes = l.attributes;
      rec.trace_id = trace;
      rec.span_id = root_id;
      rec.flags = 1;
      Logs(r.service, r.version, r.resource).push_back(std::move(rec));
    }
    if (++pending_ >= 400) Flush();
  }

  void Gauge(const std::string& service, const std::string& name, int64_t t_ns, double v) {
    otlp::ResourceMetrics& rm = metrics_.resource_metrics.emplace_back();
    rm.resource.attributes = {{"service.name", AnyValue::String(service)}};
    otlp::Metric& m = rm.scope_metrics.emplace_back().metrics.emplace_back();
    m.name = name;
    m.type = otlp::Metric::Type::kGauge;
    otlp::NumberDataPoint& p = m.number_points.emplace_back();
    p.time_unix_nano = static_cast<uint64_t>(t_ns);
    p.kind = otlp::NumberKind::kDouble;
    p.as_double = v;
  }

  void Annotate(const std::string& service, int64_t t_ns, const std::string& text,
                const std::string& version) {
    AnnotateTags(t_ns, text, {"deploy", "service=" + service, "version=" + version});
  }
  void AnnotateTags(int64_t t_ns, const std::string& text, const std::vector<std::string>& tags) {
    std::string body =
        "{\"time\":" + std::to_string(t_ns / kMs) + ",\"text\":\"" + text + "\",\"tags\":[";
    for (size_t i = 0; i < tags.size(); ++i) body += (i ? ",\"" : "\"") + tags[i] + "\"";
    body += "]}";
    Quartetd::Response r = q_.Post("/api/annotations", body, "application/json");
    EXPECT_EQ(r.status, 200) << r.body;
  }

  void Flush() {
    if (!traces_.resource_spans.empty()) {
      Post("/v1/traces", otlp::EncodeTraces(traces_));
      traces_ = {};
    }
    if (!logs_.resource_logs.empty()) {
      Post("/v1/logs", otlp::EncodeLogs(logs_));
      logs_ = {};
    }
    if (!metrics_.resource_metrics.empty()) {
      Post("/v1/metrics", otlp::EncodeMetrics(metrics_));
      metrics_ = {};
    }
    pending_ = 0;
  }

 private:
  SpanId NextSpan() {
    SpanId id;
    const uint64_t n = ids_() | 1;
    std::memcpy(id.bytes.data(), &n, 8);
    return id;
  }
  static std::vector<KeyValue> ResourceOf(const std::string& service, const std::string& version,
                                          const std::vector<KeyValue>& extra) {
    std::vector<KeyValue> attrs = {{"service.name", AnyValue::String(service)},
                                   {"service.version", AnyValue::String(version)}};
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return attrs;
  }
  std::vector<otlp::Span>& Spans(const std::string& service, const std::string& version,
                                 const std::vector<KeyValue>& extra) {
    std::vector<KeyValue> attrs = ResourceOf(service, version, extra);
    for (otlp::ResourceSpans& rs : traces_.resource_spans) {
      if (rs.resource.attributes == attrs) return rs.scope_spans[0].spans;
    }
    otlp::ResourceSpans& rs = traces_.resource_spans.emplace_back();
    rs.resource.attributes = std::move(attrs);
    rs.scope_spans.emplace_back().scope.name = "scenario";
    return rs.scope_spans[0].spans;
  }
  std::vector<otlp::LogRecord>& Logs(const std::string& service, const std::string& version,
                                     const std::vector<KeyValue>& extra) {
    std::vector<KeyValue> attrs = ResourceOf(service, version, extra);
    for (otlp::ResourceLogs& rl : logs_.resource_logs) {
      if (rl.resource.attributes == attrs) return rl.scope_logs[0].log_records;
    }
    otlp::ResourceLogs& rl = logs_.resource_logs.emplace_back();
    rl.resource.attributes = std::move(attrs);
    rl.scope_logs.emplace_back();
    return rl.scope_logs[0].log_records;
  }
  void Post(const std::string& path, const std::string& body) {
    Quartetd::Response r = q_.Post(path, body, "application/x-protobuf");
    ASSERT_EQ(r.status, 200) << path << ": " << r.body;
  }

  const Quartetd& q_;
  std::mt19937_64 ids_{std::random_device{}()};
  int pending_ = 0;
  otlp::ExportTraceServiceRequest traces_;
  otlp::ExportLogsServiceRequest logs_;
  otlp::ExportMetricsServiceRequest metrics_;
};

// The windows every scenario uses: 15 min of baseline, 15 min of incident
// whose regression starts 5 min in; 40 min back so all of it is past.
struct Timeline {
  int64_t base_from, from, onset, to;
  static Timeline Make() {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    Timeline t;
    t.base_from = (now - 40 * kMin) / kMin * kMin;
    t.from = t.base_from + 15 * kMin;
    t.onset = t.from + 5 * kMin;
    t.to = t.from + 15 * kMin;
    return t;
  }
};

// Calls fn(start_ns, incident_started) for requests at `per_second` with
// jittered arrivals over the timeline.
template <typename Fn>
void EachRequest(const Timeline& tl, int per_second, std::mt19937_64& rng, Fn fn) {
  std::uniform_int_distribution<int64_t> jitter(0, kSec / per_second - 1);
  for (int64_t t = tl.base_from; t < tl.to; t += kSec / per_second) {
    const int64_t start = t + jitter(rng);
    fn(start, start >= tl.onset);
  }
}

int64_t Around(std::mt19937_64& rng, double mean_ms, double spread = 0.2) {
  std::normal_distribution<double> d(mean_ms, mean_ms * spread);
  return static_cast<int64_t>(std::max(0.05, d(rng)) * kMs);
}

struct Report {
  json::Value doc;
  const std::vector<json::Value>& List(const char* name) const {
    static const std::vector<json::Value> kNone;
    const json::Value* v = doc.Find(name);
    return v != nullptr ? v->items() : kNone;
  }
  std::string Dump() const { return json::Serialize(doc); }
};

Report Ask(Quartetd& q, const std::string& service, const Timeline& tl) {
  const auto t0 = std::chrono::steady_clock::now();
  Quartetd::Response r = q.Query("/api/v1/incident", {{"service", service},
                                                      {"from", std::to_string(tl.from / kSec)},
                                                      {"to", std::to_string(tl.to / kSec)}});
  std::printf("report of %s: %.2f s\n", service.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_EQ(r.status, 200) << r.body << q.process().ReadStderr();
  // QUARTET_INCIDENT_PRINT=1 prints every report (to read what a scenario
  // gets beyond what it asserts).
  if (std::getenv("QUARTET_INCIDENT_PRINT") != nullptr) std::printf("%s\n", r.body.c_str());
  Result<json::Value> doc = json::Parse(r.body);
  EXPECT_TRUE(doc.ok()) << r.body;
  return Report{doc.ok() ? *doc : json::Value::Object()};
}

std::string Subject(const json::Value& finding, const char* key) {
  const json::Value* s = finding.Find("subject");
  const json::Value* v = s != nullptr ? s->Find(key) : nullptr;
  return v != nullptr && v->is_string() ? v->string_value() : "";
}
std::string Signal(const json::Value& f) { return f.Find("signal")->string_value(); }

// Index of the first finding of `list` for which pred holds, or -1.
template <typename Pred>
int IndexOf(const Report& r, const char* list, Pred pred) {
  const auto& items = r.List(list);
  for (size_t i = 0; i < items.size(); ++i) {
    if (pred(items[i])) return static_cast<int>(i);
  }
  return -1;
}

// What every report must be, whatever the scenario: at most 10 findings per
// list, each with a summary, a signal, a subject and links, ranked best
// first with scores in [0, 1], and finite figures.
void ExpectWellFormed(const Report& r) {
  for (const char* list : {"broken", "who", "where", "why"}) {
    const auto& items = r.List(list);
    EXPECT_LE(items.size(), 10u) << list;
    double previous = 2;
    for (const json::Value& f : items) {
      const double score = f.Find("score")->double_value();
      EXPECT_GE(score, 0) << list << ": " << json::Serialize(f);
      EXPECT_LE(score, 1) << list << ": " << json::Serialize(f);
      EXPECT_LE(score, previous) << list << " is not ranked best first";
      previous = score;
      EXPECT_FALSE(f.Find("summary")->string_value().empty());
      EXPECT_FALSE(f.Find("signal")->string_value().empty());
      EXPECT_FALSE(f.Find("subject")->members().empty()) << json::Serialize(f);
      EXPECT_FALSE(f.Find("links")->items().empty()) << json::Serialize(f);
    }
  }
}

class IncidentScenariosTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { q_ = new Quartetd(); }
  static void TearDownTestSuite() {
    delete q_;
    q_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(q_->ready()); }
  static Quartetd* q_;
};
Quartetd* IncidentScenariosTest::q_ = nullptr;

// The reference incident (../shared/DESIGN.md): a migration drops the index
// on orders.user_id; the heavy user's /checkout scans the table.
TEST_F(IncidentScenariosTest, ReferenceIncidentMigrationDropsTheIndex) {
  const std::string svc = "checkout";
  const std::string sql = "SELECT count(*), sum(amount_cents) FROM orders WHERE user_id = ?";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(1);
  {
    Sender s(*q_);
    s.Annotate(svc, tl.base_from + 2 * kMin, "deploy checkout 1.4.1", "1.4.1");
    s.Annotate(svc, tl.onset - 20 * kSec, "migration: DROP INDEX idx_orders_user_id", "1.4.1");
    std::uniform_int_distribution<int> user(1, 500), pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      RequestSpec r{.service = svc, .version = "1.4.1", .start_ns = start};
      if (pct(rng) < 30) {
        r.route = "/orders/:id";
        r.self_ns = Around(rng, 0.4);
        r.children = {{.name = "SELECT orders",
                       .kind = SpanKind::kClient,
                       .duration_ns = Around(rng, 0.2),
                       .attributes = {{"db.system", AnyValue::String("sqlite")},
                                      {"db.query.text",
                                       AnyValue::String("SELECT * FROM orders WHERE id = ?")}}}};
        r.logs = {{"db query", {{"rows", AnyValue::Int(1)}}}};
      } else {
        const bool heavy = pct(rng) < 6;
        const int64_t uid = heavy ? 42 : user(rng);
        const int64_t rows = heavy ? 48213 : 5 + uid % 40;
        const int64_t query =
            heavy ? (incident ? Around(rng, 420) : Around(rng, 3)) : Around(rng, 0.3);
        r.route = "/checkout";
        r.self_ns = Around(rng, 0.5);
        r.attributes = {{"user_id", AnyValue::Int(uid)}};
        r.children = {{.name = "SELECT orders",
                       .kind = SpanKind::kClient,
                       .duration_ns = query,
                       .attributes = {{"db.system", AnyValue::String("sqlite")},
                                      {"db.query.text", AnyValue::String(sql)}}}};
        r.logs = {{"db query",
                   {{"query", AnyValue::String(sql)},
                    {"rows", AnyValue::Int(rows)},
                    {"duration_ms", AnyValue::Int(query / kMs)},
                    {"user_id", AnyValue::Int(uid)}}}};
      }
      s.Add(r);
    });
    for (int64_t t = tl.base_from; t < tl.to; t += 15 * kSec) {
      s.Gauge(svc, "db_connections_active", t, t >= tl.onset ? 9.5 : 1.0);
    }
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  // broken: /checkout's latency, not /orders/:id; onset near the migration.
  ASSERT_FALSE(r.List("broken").empty());
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/checkout");
  EXPECT_NE(Signal(r.List("broken")[0]).find("latency"), std::string::npos);
  EXPECT_EQ(IndexOf(r, "broken", [](auto& f) { return Subject(f, "route") == "/orders/:id"; }), -1);
  const int64_t onset = *r.doc.Find("onset")->int_value();
  EXPECT_NEAR(onset, tl.onset / kSec, 60);
  // who: the heavy user first.
  ASSERT_FALSE(r.List("who").empty());
  EXPECT_EQ(Subject(r.List("who")[0], "user_id"), "42");
  // where: the orders query span with its SQL.
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "SELECT orders");
  EXPECT_EQ(Subject(r.List("where")[0], "db.query.text"), sql);
  // why: the migration (not the older deploy), `rows`, and the pool gauge
  // only as a symptom, ranked after the causes.
  const int migration = IndexOf(r, "why", [](auto& f) {
    return Signal(f) == "annotation" && Subject(f, "text").find("DROP INDEX") != std::string::npos;
  });
  EXPECT_GE(migration, 0);
  EXPECT_EQ(
      IndexOf(r, "why", [](auto& f) { return Subject(f, "text") == "deploy checkout 1.4.1"; }), -1);
  const int rows = IndexOf(r, "why", [](auto& f) { return Subject(f, "attribute") == "rows"; });
  ASSERT_GE(rows, 0);
  EXPECT_EQ(Signal(r.List("why")[rows]), "log attribute");
  const int pool =
      IndexOf(r, "why", [](auto& f) { return Subject(f, "metric") == "db_connections_active"; });
  ASSERT_GE(pool, 0);
  EXPECT_EQ(Subject(r.List("why")[pool], "role"), "symptom");
  EXPECT_GT(pool, rows);
  EXPECT_GT(pool, migration);
  EXPECT_EQ(IndexOf(r, "why", [](auto& f) { return Subject(f, "attribute") == "duration_ms"; }),
            -1);
  // Links open the evidence: a UI view and an API query.
  const json::Value& where = r.List("where")[0];
  ASSERT_FALSE(where.Find("links")->items().empty());
  const std::string link = where.Find("links")->items()[0].string_value();
  EXPECT_EQ(link.rfind("/ui/explore/traces?q=", 0), 0u) << link;
  Quartetd::Response api = q_->Get(where.Find("links")->items()[1].string_value());
  EXPECT_EQ(api.status, 200) << api.body;
  const std::string conclusion = r.doc.Find("conclusion")->string_value();
  EXPECT_NE(conclusion.find("/checkout"), std::string::npos);
  EXPECT_NE(conclusion.find("symptom"), std::string::npos);
}

// The demo's alert window: about a minute at 20 req/s, fewer requests than a
// sample holds, the onset in its second half. The slow requests are the
// heavy user's scans and the ordinary requests queued behind them in equal
// parts, so only the rise of `rows` with latency names the cause — and the
// logs read for it must come from the whole window, not its first seconds
// (the order the requests were scanned in).
TEST_F(IncidentScenariosTest, ShortAlertWindowReadsLogsFromAfterTheOnset) {
  const std::string svc = "checkout";
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Timeline tl;
  tl.base_from = (now - 10 * kMin) / kSec * kSec;
  tl.from = tl.base_from + 66 * kSec;
  tl.onset = tl.from + 29 * kSec;
  tl.to = tl.from + 66 * kSec;
  std::mt19937_64 rng(21);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> user(1, 200000), pct(0, 99);
    // As in a demo run: the scans take 0.3-3 s, the queued wait anything
    // from a few ms to 2 s, so among the slow requests alone rows and
    // latency correlate weakly (about 0.45); the fast ones are needed too.
    std::uniform_int_distribution<int64_t> scan(300 * kMs, 3000 * kMs), wait(8 * kMs, 2000 * kMs);
    EachRequest(tl, 20, rng, [&](int64_t start, bool incident) {
      const bool heavy = pct(rng) < 9;
      const bool queued = incident && !heavy && pct(rng) < 12;
      const int64_t uid = heavy ? 42 : user(rng);
      const int64_t rows = heavy ? 60000 : pct(rng) < 10;
      int64_t query = Around(rng, heavy ? 5 : 0.3);
      if (incident && heavy) query = scan(rng);
      if (queued) query = wait(rng);
      RequestSpec r{.service = svc, .start_ns = start, .self_ns = Around(rng, 0.2)};
      r.route = "/checkout";
      r.attributes = {{"user_id", AnyValue::Int(uid)}};
      r.children = {{.name = "SELECT orders",
                     .kind = SpanKind::kClient,
                     .duration_ns = query,
                     .attributes = {{"db.system", AnyValue::String("sqlite")}}}};
      r.logs = {{"db query",
                 {{"rows", AnyValue::Int(rows)},
                  {"duration_ms", AnyValue::Int(query / kMs)},
                  {"user_id", AnyValue::Int(uid)}}}};
      s.Add(r);
    });
  }
  // In blocks, as the demo's data is when its report is asked: the store
  // then yields the window's requests in time order.
  ASSERT_TRUE(q_->Restart(false));
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  EXPECT_LT(*r.doc.Find("requests")->Find("incident")->int_value(), 1500);
  ASSERT_FALSE(r.List("broken").empty());
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/checkout");
  const int rows = IndexOf(r, "why", [](auto& f) { return Subject(f, "attribute") == "rows"; });
  ASSERT_GE(rows, 0);
  EXPECT_EQ(Signal(r.List("why")[rows]), "log attribute");
}

// Same traffic in both windows: nothing is broken and nothing is invented.
TEST_F(IncidentScenariosTest, HealthyServiceHasNothingBroken) {
  const std::string svc = "inventory";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(2);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> pct(0, 99), sku(1, 2000);
    EachRequest(tl, 8, rng, [&](int64_t start, bool) {
      const bool stock = pct(rng) < 60;
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 1.0, 0.5),
                    .route = stock ? "/stock/:sku" : "/reserve",
                    .method = stock ? "GET" : "POST"};
      // A heavy tail, and rare errors, in both windows alike.
      const int64_t q = pct(rng) < 2 ? Around(rng, 40, 0.5) : Around(rng, 2, 0.5);
      r.status = pct(rng) == 0 ? 500 : 200;
      r.attributes = {{"sku", AnyValue::Int(sku(rng))}};
      r.children = {{.name = "SELECT stock",
                     .kind = SpanKind::kClient,
                     .duration_ns = q,
                     .attributes = {{"db.query.text",
                                     AnyValue::String("SELECT qty FROM stock WHERE sku = ?")}}}};
      r.logs = {{"lookup", {{"rows", AnyValue::Int(pct(rng))}}}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  EXPECT_TRUE(r.List("broken").empty());
  EXPECT_TRUE(r.List("who").empty());
  EXPECT_TRUE(r.List("where").empty());
  EXPECT_TRUE(r.List("why").empty());
  EXPECT_TRUE(r.doc.Find("onset")->is_null());
  EXPECT_EQ(r.doc.Find("conclusion")->string_value().rfind("Nothing is broken", 0), 0u);
  EXPECT_GT(*r.doc.Find("requests")->Find("incident")->int_value(), 5000);
}

// A deploy makes the handler itself slower (CPU): no child span changed, so
// the entry span's own time is where, and the version change is why.
TEST_F(IncidentScenariosTest, CpuRegressionAfterADeploy) {
  const std::string svc = "pricing";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(3);
  {
    Sender s(*q_);
    s.Annotate(svc, tl.onset - 10 * kSec, "deploy pricing 2.4.0", "2.4.0");
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      RequestSpec r{.service = svc,
                    .version = incident ? "2.4.0" : "2.3.0",
                    .start_ns = start,
                    .self_ns = incident ? Around(rng, 34, 0.1) : Around(rng, 20, 0.1),
                    .route = "/price"};
      r.attributes = {{"currency", AnyValue::String(pct(rng) < 70 ? "EUR" : "USD")}};
      r.children = {{.name = "cache get",
                     .kind = SpanKind::kClient,
                     .duration_ns = Around(rng, 1),
                     .attributes = {{"db.system", AnyValue::String("redis")}}}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ASSERT_FALSE(r.List("broken").empty());
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/price");
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "GET /price");
  EXPECT_EQ(IndexOf(r, "where", [](auto& f) { return Subject(f, "span") == "cache get"; }), -1);
  EXPECT_GE(IndexOf(r, "why",
                    [](auto& f) {
                      return Signal(f) == "version change" &&
                             Subject(f, "service.version") == "2.4.0" &&
                             Subject(f, "previous") == "2.3.0";
                    }),
            0);
  EXPECT_GE(IndexOf(r, "why", [](auto& f) { return Subject(f, "text") == "deploy pricing 2.4.0"; }),
            0);
  EXPECT_EQ(IndexOf(r, "who", [](auto& f) { return !Subject(f, "currency").empty(); }), -1);
}

// The payment provider starts answering 503 to a third of the calls.
TEST_F(IncidentScenariosTest, UpstreamReturning503s) {
  const std::string svc = "orders-api";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(4);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      const bool fail = incident ? pct(rng) < 35 : pct(rng) == 0 && pct(rng) < 20;
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 2),
                    .route = "/order",
                    .method = "POST",
                    .status = fail ? 502 : 201};
      r.children = {
          {.name = "INSERT orders",
           .kind = SpanKind::kClient,
           .duration_ns = Around(rng, 1),
           .attributes = {{"db.query.text", AnyValue::String("INSERT INTO orders VALUES (?)")}}},
          {.name = "POST",
           .kind = SpanKind::kClient,
           .duration_ns = Around(rng, 30),
           .attributes = {{"server.address", AnyValue::String("payments.internal")},
                          {"server.port", AnyValue::Int(443)},
                          {"http.request.method", AnyValue::String("POST")},
                          {"http.response.status_code", AnyValue::Int(fail ? 503 : 200)}},
           .error = fail}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ASSERT_FALSE(r.List("broken").empty());
  EXPECT_EQ(Signal(r.List("broken")[0]), "error rate");
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/order");
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "POST");
  EXPECT_EQ(Subject(r.List("where")[0], "kind"), "client");
  ASSERT_FALSE(r.List("why").empty());
  EXPECT_EQ(Signal(r.List("why")[0]), "upstream status");
  EXPECT_EQ(Subject(r.List("why")[0], "upstream"), "payments.internal:443");
  EXPECT_EQ(Subject(r.List("why")[0], "status"), "503");
}

// One tenant starts bulk searches that are slow; the others are fine.
TEST_F(IncidentScenariosTest, NoisyTenant) {
  const std::string svc = "search";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(5);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> pct(0, 99), tenant(1, 30);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      const bool noisy = incident && pct(rng) < 15;
      const std::string t = noisy ? "acme-bulk" : "tenant-" + std::to_string(tenant(rng));
      RequestSpec r{
          .service = svc, .start_ns = start, .self_ns = Around(rng, 1), .route = "/search"};
      r.attributes = {{"tenant.id", AnyValue::String(t)},
                      {"request_id", AnyValue::String(std::to_string(start))}};
      r.children = {{.name = "query index",
                     .kind = SpanKind::kClient,
                     .duration_ns = noisy ? Around(rng, 250) : Around(rng, 8),
                     .attributes = {{"db.system", AnyValue::String("elasticsearch")}}}};
      r.logs = {{"searched",
                 {{"tenant", AnyValue::String(t)}, {"hits", AnyValue::Int(noisy ? 9000 : 20)}}}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ASSERT_FALSE(r.List("broken").empty());
  ASSERT_FALSE(r.List("who").empty());
  const std::string top_key =
      Subject(r.List("who")[0], "tenant.id") + Subject(r.List("who")[0], "tenant");
  EXPECT_EQ(top_key, "acme-bulk");
  EXPECT_EQ(IndexOf(r, "who", [](auto& f) { return !Subject(f, "request_id").empty(); }), -1);
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "query index");
}

// A slow query on another table and route: /reviews breaks, /products not.
TEST_F(IncidentScenariosTest, SlowQueryOnAnotherTableAndRoute) {
  const std::string svc = "catalog";
  const std::string reviews_sql = "SELECT * FROM reviews WHERE product_id = ? ORDER BY created_at";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(6);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> pct(0, 99), product(1, 5000);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      const bool reviews = pct(rng) < 40;
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 1),
                    .route = reviews ? "/products/:id/reviews" : "/products/:id"};
      r.attributes = {{"product_id", AnyValue::Int(product(rng))}};
      r.children = {
          {.name = reviews ? "SELECT reviews" : "SELECT products",
           .kind = SpanKind::kClient,
           .duration_ns = reviews && incident ? Around(rng, 150) : Around(rng, 2),
           .attributes = {
               {"db.query.text",
                AnyValue::String(reviews ? reviews_sql : "SELECT * FROM products WHERE id = ?")}}}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ASSERT_FALSE(r.List("broken").empty());
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/products/:id/reviews");
  EXPECT_EQ(IndexOf(r, "broken", [](auto& f) { return Subject(f, "route") == "/products/:id"; }),
            -1);
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "db.query.text"), reviews_sql);
  EXPECT_GE(IndexOf(r, "who",
                    [](auto& f) { return Subject(f, "http.route") == "/products/:id/reviews"; }),
            0);
}

// A deploy makes /profile fail for the accounts whose address is null (the
// legacy plan): errors only, latency unchanged. Who is the plan, where is
// the handler that throws, why is the deploy, the new version and the
// exception it throws.
TEST_F(IncidentScenariosTest, ErrorsOnlyAfterADeployNullField) {
  const std::string svc = "accounts";
  const std::string message = "Cannot read properties of null (reading 'street')";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(11);
  {
    Sender s(*q_);
    s.Annotate(svc, tl.onset - 30 * kSec, "deploy accounts 3.2.0", "3.2.0");
    std::uniform_int_distribution<int> pct(0, 99), account(1, 90000);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      const bool profile = pct(rng) < 60;
      const bool legacy = pct(rng) < 20;
      const bool fail = incident && profile && legacy;
      RequestSpec r{.service = svc,
                    .version = incident ? "3.2.0" : "3.1.0",
                    .start_ns = start,
                    .self_ns = fail ? Around(rng, 1) : Around(rng, 4),
                    .route = profile ? "/profile" : "/settings",
                    .status = fail ? 500 : 200};
      r.attributes = {{"account.plan", AnyValue::String(legacy ? "legacy" : "standard")},
                      {"account.id", AnyValue::Int(account(rng))}};
      r.children = {{.name = "SELECT accounts",
                     .kind = SpanKind::kClient,
                     .duration_ns = Around(rng, 2),
                     .attributes = {{"db.query.text",
                                     AnyValue::String("SELECT * FROM accounts WHERE id = ?")}}}};
      if (fail) {
        r.status_message = "TypeError: " + message;
        r.events = {Exception(start + kMs, "TypeError", message)};
        r.logs = {{"request failed",
                   {{"exception.type", AnyValue::String("TypeError")},
                    {"exception.message", AnyValue::String(message)}},
                   true}};
      } else {
        r.logs = {{"served", {{"fields", AnyValue::Int(profile ? 14 : 6)}}}};
      }
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  // broken: /profile's error rate only (the latency did not change).
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Signal(r.List("broken")[0]), "error rate");
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/profile");
  EXPECT_NEAR(*r.doc.Find("onset")->int_value(), tl.onset / kSec, 60);
  // who: the legacy plan first; "status code 500" restates "failed".
  ASSERT_FALSE(r.List("who").empty());
  EXPECT_EQ(Subject(r.List("who")[0], "account.plan"), "legacy");
  EXPECT_GE(IndexOf(r, "who", [](auto& f) { return Subject(f, "service.version") == "3.2.0"; }), 0);
  EXPECT_EQ(
      IndexOf(r, "who", [](auto& f) { return !Subject(f, "http.response.status_code").empty(); }),
      -1);
  EXPECT_EQ(IndexOf(r, "who", [](auto& f) { return !Subject(f, "exception.message").empty(); }),
            -1);
  // where: the handler itself is where the requests fail, not the query.
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Signal(r.List("where")[0]), "error origin");
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "GET /profile");
  EXPECT_EQ(IndexOf(r, "where", [](auto& f) { return Subject(f, "span") == "SELECT accounts"; }),
            -1);
  // why: the deploy, the version it brought and the exception.
  EXPECT_GE(
      IndexOf(r, "why", [](auto& f) { return Subject(f, "text") == "deploy accounts 3.2.0"; }), 0);
  EXPECT_GE(IndexOf(r, "why",
                    [](auto& f) {
                      return Signal(f) == "version change" &&
                             Subject(f, "service.version") == "3.2.0";
                    }),
            0);
  const int exception = IndexOf(r, "why", [](auto& f) { return Signal(f) == "exception"; });
  ASSERT_GE(exception, 0);
  EXPECT_EQ(Subject(r.List("why")[exception], "exception.type"), "TypeError");
  EXPECT_EQ(Subject(r.List("why")[exception], "exception.message"), message);
  EXPECT_NE(r.doc.Find("conclusion")->string_value().find("/profile"), std::string::npos);
}

// The recommendations service, called by web's /home, gets slow after its
// own deploy: where names the callee's query (not web's handler or client
// call), and why the callee's deploy and version.
TEST_F(IncidentScenariosTest, DownstreamServiceGotSlow) {
  const std::string svc = "web", callee = "recommendations";
  const std::string sql = "SELECT item_id FROM similar_items WHERE item_id = ? ORDER BY score";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(12);
  {
    Sender s(*q_);
    s.Annotate(svc, tl.base_from + 3 * kMin, "deploy web 8.0.1", "8.0.1");
    s.Annotate(callee, tl.onset - 40 * kSec, "deploy recommendations 5.0.0", "5.0.0");
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      const bool home = pct(rng) < 70;
      RequestSpec r{.service = svc,
                    .version = "8.0.1",
                    .start_ns = start,
                    .self_ns = Around(rng, 3),
                    .route = home ? "/home" : "/static/:file"};
      if (home) {
        const int64_t query = incident ? Around(rng, 140) : Around(rng, 4);
        const int64_t server = query + Around(rng, 1);
        r.children = {{.name = "GET",
                       .kind = SpanKind::kClient,
                       .duration_ns = server + kMs,
                       .attributes = {{"peer.service", AnyValue::String(callee)},
                                      {"http.request.method", AnyValue::String("GET")},
                                      {"http.response.status_code", AnyValue::Int(200)}}},
                      {.name = "GET /recs",
                       .kind = SpanKind::kServer,
                       .offset_ns = kMs / 2,
                       .duration_ns = server,
                       .attributes = {{"http.route", AnyValue::String("/recs")}},
                       .service = callee,
                       .parent = 0,
                       .version = incident ? "5.0.0" : "4.9.3"},
                      {.name = "SELECT similar_items",
                       .kind = SpanKind::kClient,
                       .offset_ns = kMs / 4,
                       .duration_ns = query,
                       .attributes = {{"db.query.text", AnyValue::String(sql)}},
                       .service = callee,
                       .parent = 1,
                       .version = incident ? "5.0.0" : "4.9.3"}};
      } else {
        r.children = {{.name = "read file", .duration_ns = Around(rng, 0.5)}};
      }
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/home");
  EXPECT_EQ(Subject(r.List("broken")[0], "service"), svc);
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "service"), callee);
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "SELECT similar_items");
  EXPECT_EQ(Subject(r.List("where")[0], "db.query.text"), sql);
  EXPECT_EQ(IndexOf(r, "where", [&](auto& f) { return Subject(f, "service") == svc; }), -1);
  EXPECT_GE(IndexOf(r, "why",
                    [](auto& f) { return Subject(f, "text") == "deploy recommendations 5.0.0"; }),
            0);
  EXPECT_EQ(IndexOf(r, "why", [](auto& f) { return Subject(f, "text") == "deploy web 8.0.1"; }),
            -1);
  EXPECT_GE(IndexOf(r, "why",
                    [&](auto& f) {
                      return Signal(f) == "version change" && Subject(f, "service") == callee &&
                             Subject(f, "service.version") == "5.0.0" &&
                             Subject(f, "previous") == "4.9.3";
                    }),
            0);
}

// The service's exporter was cut off during the incident and replays its
// backlog later, newest first, after fresher data arrived: the requests
// count in the minutes they happened, not when they arrived.
TEST_F(IncidentScenariosTest, LateReplayedDataCountsWhereItBelongs) {
  const std::string svc = "billing";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(13);
  std::vector<RequestSpec> backlog;
  int64_t in_window = 0;
  auto make = [&](int64_t start, bool incident) {
    RequestSpec r{.service = svc,
                  .start_ns = start,
                  .self_ns = Around(rng, 2),
                  .route = "/invoice",
                  .method = "POST"};
    r.children = {{.name = "render pdf",
                   .duration_ns = incident ? Around(rng, 160) : Around(rng, 25),
                   .attributes = {{"pdf.renderer", AnyValue::String("wkhtml")}}}};
    r.logs = {{"rendered", {{"pages", AnyValue::Int(3)}}}};
    return r;
  };
  {
    Sender s(*q_);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      RequestSpec r = make(start, incident);
      if (start >= tl.from) {
        backlog.push_back(std::move(r));
        ++in_window;
      } else {
        s.Add(r);
      }
    });
    // Fresh data from after the window arrives first.
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (int64_t t = tl.to; t < now - kMin; t += kSec / 4) s.Add(make(t, false));
    s.Flush();
    std::sort(backlog.begin(), backlog.end(),
              [](const RequestSpec& a, const RequestSpec& b) { return a.start_ns > b.start_ns; });
    for (const RequestSpec& r : backlog) s.Add(r);
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  EXPECT_EQ(*r.doc.Find("requests")->Find("incident")->int_value(), in_window);
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/invoice");
  EXPECT_NEAR(*r.doc.Find("onset")->int_value(), tl.onset / kSec, 30);
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "render pdf");
}

// Four annotations around the onset: a deploy of this service long before
// (a healthy baseline followed it), a config change a minute before the
// onset (the cause), a deploy of an unrelated service just before it, and
// a rollback after it. Why names the config change only.
TEST_F(IncidentScenariosTest, RecentConfigChangeNotTheOlderDeploy) {
  const std::string svc = "gateway";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(14);
  {
    Sender s(*q_);
    s.Annotate(svc, tl.onset - 2 * 60 * kMin, "deploy gateway 7.1.0", "7.1.0");
    s.Annotate(svc, tl.base_from + 2 * kMin, "deploy gateway 7.1.1", "7.1.1");
    s.AnnotateTags(tl.onset - kMin, "config: rate limiter burst 100 -> 10",
                   {"config", "service=" + svc});
    s.Annotate("ledger", tl.onset - 20 * kSec, "deploy ledger 2.0.0", "2.0.0");
    s.AnnotateTags(tl.onset + 7 * kMin, "config: rate limiter burst 10 -> 100 (rollback)",
                   {"config", "service=" + svc});
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      RequestSpec r{.service = svc,
                    .version = "7.1.1",
                    .start_ns = start,
                    .self_ns = Around(rng, 1),
                    .route = pct(rng) < 50 ? "/api/orders" : "/api/users"};
      if (incident && pct(rng) < 40) {
        r.children.push_back({.name = "rate limiter wait", .duration_ns = Around(rng, 200)});
      }
      r.children.push_back({.name = "proxy",
                            .kind = SpanKind::kClient,
                            .duration_ns = Around(rng, 10),
                            .attributes = {{"server.address", AnyValue::String("backend")}}});
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  ASSERT_FALSE(r.List("broken").empty());
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "rate limiter wait");
  int annotations = 0;
  for (const json::Value& f : r.List("why")) annotations += Signal(f) == "annotation";
  EXPECT_EQ(annotations, 1);
  ASSERT_FALSE(r.List("why").empty());
  EXPECT_EQ(Subject(r.List("why")[0], "text"), "config: rate limiter burst 100 -> 10");
  EXPECT_EQ(IndexOf(r, "why", [](auto& f) { return Signal(f) == "version change"; }), -1);
}

// The cache replica of one availability zone degrades: the requests served
// there are slow. Who names the zone (before its hosts), where the cache
// call.
TEST_F(IncidentScenariosTest, OneAvailabilityZoneIsSlow) {
  const std::string svc = "cart";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(15);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> zone(0, 2), host(1, 2), user(1, 100000);
    EachRequest(tl, 9, rng, [&](int64_t start, bool incident) {
      const std::string z = std::string("eu-west-1") + "abc"[zone(rng)];
      const bool bad_zone = incident && z == "eu-west-1c";
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 2),
                    .route = "/cart",
                    .resource = {{"cloud.availability_zone", AnyValue::String(z)},
                                 {"host.name", AnyValue::String("cart-" + z + "-" +
                                                                std::to_string(host(rng)))}}};
      r.attributes = {{"user.id", AnyValue::Int(user(rng))}};
      r.children = {
          {.name = "GET session",
           .kind = SpanKind::kClient,
           .duration_ns = bad_zone ? Around(rng, 90) : Around(rng, 1),
           .attributes = {{"db.system", AnyValue::String("redis")},
                          {"server.address", AnyValue::String("redis-" + z)}}},
          {.name = "SELECT cart_items",
           .kind = SpanKind::kClient,
           .duration_ns = Around(rng, 3),
           .attributes = {
               {"db.query.text", AnyValue::String("SELECT * FROM cart_items WHERE cart = ?")}}}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  ASSERT_FALSE(r.List("broken").empty());
  ASSERT_FALSE(r.List("who").empty());
  EXPECT_EQ(Subject(r.List("who")[0], "cloud.availability_zone"), "eu-west-1c");
  for (const char* zone : {"eu-west-1a", "eu-west-1b"}) {
    EXPECT_EQ(
        IndexOf(r, "who", [&](auto& f) { return Subject(f, "cloud.availability_zone") == zone; }),
        -1);
  }
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "GET session");
  EXPECT_EQ(IndexOf(r, "why", [](auto& f) { return Signal(f) == "annotation"; }), -1);
}

// Latency creeps up over the whole window (a leak), with no step and no
// change to point at: broken and an onset in the window's first half, the
// handler as where, and no invented cause (the deploy before the healthy
// baseline is not one).
TEST_F(IncidentScenariosTest, GradualLatencyCreepInventsNoCause) {
  const std::string svc = "reports";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(16);
  {
    Sender s(*q_);
    s.Annotate(svc, tl.base_from + kMin, "deploy reports 1.9.0", "1.9.0");
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool) {
      const double progress = std::max(
          0.0, static_cast<double>(start - tl.from) / static_cast<double>(tl.to - tl.from));
      RequestSpec r{.service = svc,
                    .version = "1.9.0",
                    .start_ns = start,
                    .self_ns = Around(rng, 20 + 60 * progress, 0.15),
                    .route = "/report"};
      r.attributes = {{"report.kind", AnyValue::String(pct(rng) < 50 ? "daily" : "weekly")}};
      r.children = {{.name = "SELECT sales",
                     .kind = SpanKind::kClient,
                     .duration_ns = Around(rng, 5),
                     .attributes = {{"db.query.text", AnyValue::String("SELECT * FROM sales")}}}};
      r.logs = {{"report built", {{"lines", AnyValue::Int(pct(rng) + 100)}}}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/report");
  const int64_t onset = *r.doc.Find("onset")->int_value();
  EXPECT_GE(onset, tl.from / kSec);
  EXPECT_LE(onset, (tl.from + 8 * kMin) / kSec);
  EXPECT_TRUE(r.List("who").empty());
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "GET /report");
  EXPECT_TRUE(r.List("why").empty());
  EXPECT_NE(r.doc.Find("conclusion")->string_value().find("No cause was found"), std::string::npos);
}

// A gRPC service sending traces only (no logs, metrics, profiles or
// annotations): span names are the routes; one of its upstreams answers
// UNAVAILABLE. The report answers from the traces.
TEST_F(IncidentScenariosTest, TracesOnlyGrpcUpstreamUnavailable) {
  const std::string svc = "stock";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(17);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 8, rng, [&](int64_t start, bool incident) {
      const bool reserve = pct(rng) < 70;
      const bool fail = reserve && incident && pct(rng) < 25;
      const std::string method = reserve ? "Reserve" : "Get";
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 1),
                    .name = "stock.v1.Stock/" + method,
                    .no_route = true};
      r.attributes = {{"rpc.system", AnyValue::String("grpc")},
                      {"rpc.service", AnyValue::String("stock.v1.Stock")},
                      {"rpc.method", AnyValue::String(method)},
                      {"rpc.grpc.status_code", AnyValue::Int(fail ? 14 : 0)}};
      r.status = fail ? 500 : 200;  // marks the entry span as failed (no HTTP attributes)
      if (reserve) {
        r.children = {{.name = "warehouse.v1.Warehouse/Hold",
                       .kind = SpanKind::kClient,
                       .duration_ns = Around(rng, 4),
                       .attributes = {{"rpc.system", AnyValue::String("grpc")},
                                      {"peer.service", AnyValue::String("warehouse")},
                                      {"rpc.grpc.status_code", AnyValue::Int(fail ? 14 : 0)}},
                       .error = fail,
                       .status_message = fail ? "connection refused" : ""}};
      } else {
        r.children = {{.name = "stock lookup", .duration_ns = Around(rng, 1)}};
      }
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Signal(r.List("broken")[0]), "error rate");
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "stock.v1.Stock/Reserve");
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "warehouse.v1.Warehouse/Hold");
  EXPECT_EQ(Subject(r.List("where")[0], "kind"), "client");
  ASSERT_FALSE(r.List("why").empty());
  EXPECT_EQ(Signal(r.List("why")[0]), "upstream status");
  EXPECT_EQ(Subject(r.List("why")[0], "upstream"), "warehouse");
  EXPECT_EQ(Subject(r.List("why")[0], "status"), "14 UNAVAILABLE");
  EXPECT_EQ(IndexOf(r, "who", [](auto& f) { return !Subject(f, "rpc.grpc.status_code").empty(); }),
            -1);
}

// Only 30 requests per window (an admin tool): the regression is plain (a
// new export query makes every request after the onset ten times slower),
// and what the report says must stay within what 30 requests can show.
TEST_F(IncidentScenariosTest, SmallSampleIncident) {
  const std::string svc = "backoffice";
  Timeline tl = Timeline::Make();
  std::mt19937_64 rng(18);
  {
    Sender s(*q_);
    std::uniform_int_distribution<int> pct(0, 99);
    for (int64_t t = tl.base_from; t < tl.to; t += 30 * kSec) {
      const bool incident = t >= tl.onset;
      RequestSpec r{.service = svc,
                    .start_ns = t + static_cast<int64_t>(pct(rng)) * 100 * kMs,
                    .self_ns = Around(rng, 5),
                    .route = "/export"};
      r.attributes = {{"operator", AnyValue::String("op-" + std::to_string(pct(rng) % 7))}};
      r.children = {{.name = "SELECT ledger",
                     .kind = SpanKind::kClient,
                     .duration_ns = incident ? Around(rng, 400) : Around(rng, 40),
                     .attributes = {{"db.query.text", AnyValue::String("SELECT * FROM ledger")}}}};
      s.Add(r);
    }
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  EXPECT_EQ(*r.doc.Find("requests")->Find("incident")->int_value(), 30);
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Subject(r.List("broken")[0], "route"), "/export");
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "SELECT ledger");
  // Seven operators over 20 slow requests: none is over-represented enough.
  EXPECT_TRUE(r.List("who").empty());
  EXPECT_TRUE(r.List("why").empty());
}

// Every request fails from the window's start (the SMTP relay refuses
// connections after a config change): no incident request is normal, the
// baseline is the only comparison.
TEST_F(IncidentScenariosTest, EveryRequestFails) {
  const std::string svc = "notifier";
  Timeline tl = Timeline::Make();
  tl.onset = tl.from;
  std::mt19937_64 rng(19);
  {
    Sender s(*q_);
    s.AnnotateTags(tl.from - 40 * kSec, "config: smtp relay smtp2.internal:2525",
                   {"config", "service=" + svc});
    std::uniform_int_distribution<int> pct(0, 99);
    EachRequest(tl, 6, rng, [&](int64_t start, bool incident) {
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 1),
                    .route = "/notify",
                    .method = "POST",
                    .status = incident ? 503 : 202};
      r.attributes = {{"channel", AnyValue::String(pct(rng) < 80 ? "email" : "sms")}};
      r.children = {
          {.name = "smtp send",
           .kind = SpanKind::kClient,
           .duration_ns = incident ? Around(rng, 0.3) : Around(rng, 20),
           .attributes = {{"server.address",
                           AnyValue::String(incident ? "smtp2.internal" : "smtp.internal")},
                          {"server.port", AnyValue::Int(incident ? 2525 : 25)}},
           .error = incident,
           .status_message = incident ? "connection refused" : ""}};
      s.Add(r);
    });
  }
  Report r = Ask(*q_, svc, tl);
  SCOPED_TRACE(r.Dump());
  ExpectWellFormed(r);
  ASSERT_EQ(r.List("broken").size(), 1u);
  EXPECT_EQ(Signal(r.List("broken")[0]), "error rate");
  EXPECT_DOUBLE_EQ(r.List("broken")[0].Find("incident")->double_value(), 1.0);
  EXPECT_NEAR(*r.doc.Find("onset")->int_value(), tl.from / kSec, 30);
  ASSERT_FALSE(r.List("where").empty());
  EXPECT_EQ(Subject(r.List("where")[0], "span"), "smtp send");
  EXPECT_EQ(IndexOf(r, "who", [](auto& f) { return !Subject(f, "channel").empty(); }), -1);
  EXPECT_GE(IndexOf(r, "why",
                    [](auto& f) {
                      return Signal(f) == "upstream status" &&
                             Subject(f, "upstream") == "smtp2.internal:2525" &&
                             Subject(f, "status") == "connection refused";
                    }),
            0);
  EXPECT_GE(IndexOf(r, "why",
                    [](auto& f) {
                      return Subject(f, "text") == "config: smtp relay smtp2.internal:2525";
                    }),
            0);
}

TEST_F(IncidentScenariosTest, BadRequestsNameTheParameter) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> params;
    int status;
    const char* needle;
  };
  for (const Case& c :
       {Case{{}, 400, "service"},
        Case{{{"service", "x"}, {"from", "yesterday"}}, 400, "\\\"from\\\""},
        Case{{{"service", "x"}, {"from", "now-1h"}, {"to", "now-2h"}}, 400, "before"},
        Case{{{"alert", "NoSuchAlert"}}, 404, "NoSuchAlert"},
        Case{{{"service", "nobody"}, {"from", "now-15m"}}, 200, "Nothing is broken"}}) {
    Quartetd::Response r = q_->Query("/api/v1/incident", c.params);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_NE(r.body.find(c.needle), std::string::npos) << r.body;
  }
}

// The report's cost: a window of one hour at QUARTET_INCIDENT_TIMING_RPS
// requests per second (default 10; the target figure is 100) after an hour
// of baseline, with the reference incident's shape. Prints the time of the
// report; it must stay under 10 s. It runs on its own quartetd: the figure is
// that of one service's hour, not of whatever the other scenarios left in
// the shared server's head (docs/incident.md, "Cost and limits").
TEST_F(IncidentScenariosTest, IncidentTimingOneHour) {
  Quartetd own;
  ASSERT_TRUE(own.ready());
  const char* env = std::getenv("QUARTET_INCIDENT_TIMING_RPS");
  const int rps = env != nullptr ? std::max(1, std::atoi(env)) : 10;
  const std::string svc = "timing";
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Timeline tl;
  tl.base_from = (now - 130 * kMin) / kMin * kMin;
  tl.from = tl.base_from + 60 * kMin;
  tl.onset = tl.from + 20 * kMin;
  tl.to = tl.from + 60 * kMin;
  std::mt19937_64 rng(7);
  const auto ingest_start = std::chrono::steady_clock::now();
  int64_t requests = 0;
  {
    Sender s(own);
    std::uniform_int_distribution<int> user(1, 500), pct(0, 99);
    EachRequest(tl, rps, rng, [&](int64_t start, bool incident) {
      const bool heavy = pct(rng) < 5;
      const int64_t uid = heavy ? 42 : user(rng);
      const int64_t query = heavy && incident ? Around(rng, 300) : Around(rng, 0.5);
      RequestSpec r{.service = svc,
                    .start_ns = start,
                    .self_ns = Around(rng, 0.5),
                    .route = pct(rng) < 70 ? "/checkout" : "/orders/:id"};
      r.attributes = {{"user_id", AnyValue::Int(uid)}};
      r.children = {
          {.name = "SELECT orders",
           .kind = SpanKind::kClient,
           .duration_ns = query,
           .attributes = {{"db.query.text",
                           AnyValue::String("SELECT sum(amount) FROM orders WHERE user_id = ?")}}}};
      r.logs = {{"db query", {{"rows", AnyValue::Int(heavy ? 48213 : 20)}}}};
      s.Add(r);
      ++requests;
    });
  }
  const double ingest_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ingest_start).count();
  const auto t0 = std::chrono::steady_clock::now();
  Report r = Ask(own, svc, tl);
  const double report_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("incident report: %.2f s for 1 h at %d req/s (%lld requests in 2 h; ingest %.1f s)\n",
              report_s, rps, static_cast<long long>(requests), ingest_s);
  EXPECT_LT(report_s, 10.0);
  ASSERT_FALSE(r.List("broken").empty()) << r.Dump();
  ASSERT_FALSE(r.List("who").empty()) << r.Dump();
  EXPECT_EQ(Subject(r.List("who")[0], "user_id"), "42");
}

}  // namespace
}  // namespace quartet::testing
