// GET /api/v1/incident?alert=NAME: the window comes from the alert's
// activeAt (ALERTS_FOR_STATE), with a lead-in that leaves part of the
// service's data before the window, and the baseline bounded by that data.
#include "server/api/incident/incident_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "base/clock.h"
#include "server/store/metrics/metric_table.h"
#include "server/store/traces/trace_table.h"
#include "wire/json/json_parser.h"

namespace quartet::api {
namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kMin = 60 * kSec;

class IncidentApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/incident_api_test";
    std::filesystem::remove_all(dir_);
    store::TableOptions traces;
    traces.dir = dir_ + "/traces";
    traces.sync = store::SyncPolicy::kNever;
    traces_ = std::move(*store::TraceTable::Open(traces, /*background=*/false));
    store::MetricTableOptions metrics;
    metrics.table.dir = dir_ + "/metrics";
    metrics.table.sync = store::SyncPolicy::kNever;
    metrics_ = std::move(*store::MetricTable::Open(metrics, false));
    engine_ =
        std::make_unique<incident::IncidentEngine>(incident::Sources{.traces = traces_.get()});
    api_ = std::make_unique<IncidentApi>(engine_.get(), metrics_.get());

    // The service's data: one request every 2 s for the last 30 minutes.
    now_ = UnixNanos() / kSec * kSec;
    first_ = now_ - 30 * kMin;
    otlp::ExportTraceServiceRequest batch;
    otlp::ResourceSpans& rs = batch.resource_spans.emplace_back();
    rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String("checkout")});
    otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
    uint64_t n = 0;
    for (int64_t t = first_; t < now_; t += 2 * kSec) {
      otlp::Span& s = ss.spans.emplace_back();
      ++n;
      std::memcpy(s.trace_id.bytes.data(), &n, 8);
      s.trace_id.bytes[15] = 1;
      s.span_id.bytes[0] = 1;
      s.name = "GET /checkout";
      s.start_time_unix_nano = static_cast<uint64_t>(t);
      s.end_time_unix_nano = static_cast<uint64_t>(t + 20 * 1000000);
    }
    ASSERT_TRUE(traces_->AppendSpans(batch).ok());
  }
  void TearDown() override {
    api_.reset();
    engine_.reset();
    traces_.reset();
    metrics_.reset();
    std::filesystem::remove_all(dir_);
  }

  // An alert active since `active_ns`, as the rule manager records it:
  // ALERTS_FOR_STATE holds activeAt, ALERTS the state. A resolved alert's
  // series end with a stale marker.
  void Activate(const std::string& name, int64_t active_ns, const std::string& state = "firing") {
    const int64_t t_ms = (now_ - 30 * kSec) / 1000000;
    store::MetricBatch b;
    b.series.push_back(
        {{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", name}, {"job", "checkout"}},
         {{t_ms, static_cast<double>(active_ns / kSec)}},
         {}});
    b.series.push_back({{{"__name__", "ALERTS"},
                         {"alertname", name},
                         {"alertstate", state == "resolved" ? "firing" : state},
                         {"job", "checkout"}},
                        {{t_ms, 1}},
                        {}});
    if (state == "resolved") {
      for (store::SeriesSamples& s : b.series) s.samples.push_back({t_ms + 15000, NAN});
    }
    ASSERT_TRUE(metrics_->Append(b).ok());
  }

  server::HttpResponse Get(std::vector<std::pair<std::string, std::string>> params) {
    server::HttpRequest r;
    r.method = "GET";
    r.params = std::move(params);
    return api_->Report(r);
  }
  static double Field(const json::Value& doc, const char* object, const char* key) {
    const json::Value* o = doc.Find(object);
    const json::Value* v = o != nullptr ? o->Find(key) : nullptr;
    return v != nullptr && v->is_number() ? v->double_value() : NAN;
  }

  std::string dir_;
  int64_t now_ = 0, first_ = 0;
  std::unique_ptr<store::TraceTable> traces_;
  std::unique_ptr<store::MetricTable> metrics_;
  std::unique_ptr<incident::IncidentEngine> engine_;
  std::unique_ptr<IncidentApi> api_;
};

TEST_F(IncidentApiTest, AlertWindowFitsTheServicesData) {
  struct Case {
    const char* alert;
    int64_t active_after_first;  // activeAt - the service's first data
    int64_t want_from;           // from first data
    int64_t want_baseline_from;  // from first data
    bool short_baseline;
  };
  const Case cases[] = {
      // 2 min of data before activeAt: half of it leads in, the other half
      // is the baseline (clipped to the data: not 28 min before it).
      {"Early", 2 * kMin, 1 * kMin, 0, true},
      // Plenty of data: a 5-minute lead-in and an equal-length baseline.
      {"Late", 25 * kMin, 20 * kMin, 10 * kMin, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.alert);
    Activate(c.alert, first_ + c.active_after_first);
    server::HttpResponse resp = Get({{"alert", c.alert}});
    ASSERT_EQ(resp.status, 200) << resp.body;
    Result<json::Value> doc = json::Parse(resp.body);
    ASSERT_TRUE(doc.ok()) << resp.body;
    EXPECT_EQ(doc->Find("service")->string_value(), "checkout");
    const double first_s = static_cast<double>(first_ / kSec);
    EXPECT_NEAR(Field(*doc, "window", "from"), first_s + static_cast<double>(c.want_from / kSec),
                0.001);
    EXPECT_NEAR(Field(*doc, "window", "to"), static_cast<double>(now_ / kSec), 5);
    EXPECT_NEAR(Field(*doc, "baseline", "to"), Field(*doc, "window", "from"), 0.001);
    EXPECT_NEAR(Field(*doc, "baseline", "from"),
                first_s + static_cast<double>(c.want_baseline_from / kSec), 2.001);
    const std::string conclusion = doc->Find("conclusion")->string_value();
    EXPECT_EQ(conclusion.find("The baseline is short") != std::string::npos, c.short_baseline)
        << conclusion;
  }
}

TEST_F(IncidentApiTest, TheAlertIsListedInItsState) {
  for (const char* state : {"pending", "firing", "resolved"}) {
    SCOPED_TRACE(state);
    const std::string name = std::string("Alert_") + state;
    Activate(name, first_ + 25 * kMin, state);
    server::HttpResponse resp = Get({{"alert", name}});
    ASSERT_EQ(resp.status, 200) << resp.body;
    Result<json::Value> doc = json::Parse(resp.body);
    ASSERT_TRUE(doc.ok()) << resp.body;
    const json::Value* broken = doc->Find("broken");
    ASSERT_TRUE(broken != nullptr && broken->is_array() && !broken->items().empty()) << resp.body;
    const std::string want = std::string(state) == "resolved"
                                 ? "alert " + name + " fired and has resolved"
                                 : "alert " + name + " is " + state;
    EXPECT_EQ(broken->items()[0].Find("summary")->string_value(), want);
  }
}

TEST_F(IncidentApiTest, UnknownAlertIsNotFound) {
  server::HttpResponse resp = Get({{"alert", "Nope"}});
  EXPECT_EQ(resp.status, 404) << resp.body;
  EXPECT_NE(resp.body.find("Nope"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace quartet::api
