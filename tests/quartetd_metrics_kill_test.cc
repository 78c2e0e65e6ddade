// Metrics durability in the real quartetd: several threads remote_write
// without pause, quartetd is killed with SIGKILL mid-stream and restarted on
// the same data directory, and every acknowledged sample is returned by
// /api/v1/query_range — counted exactly per series (each writer sends its
// batches in order, so what is stored is its acknowledged batches plus at
// most the one in flight at the kill). Then bad remote_write and OTLP bodies
// get 400 with a message, and the data stays.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"
#include "wire/prometheus/remote_write_body.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;
namespace rw = prometheus::rw;

constexpr int kWriters = 4;
constexpr int kSeriesPerWriter = 50;
constexpr int64_t kStepMs = 100;  // one batch per 100 ms of sample time

std::string Batch(int writer, int64_t batch, int64_t base_ms) {
  rw::WriteRequest request;
  for (int s = 0; s < kSeriesPerWriter; ++s) {
    rw::TimeSeries& ts = request.timeseries.emplace_back();
    ts.labels = {{"__name__", "kill_test_total"},
                 {"series", std::to_string(s)},
                 {"writer", std::to_string(writer)}};
    ts.samples.push_back(
        {.value = static_cast<double>(batch * 10 + s), .timestamp_ms = base_ms + batch * kStepMs});
  }
  return rw::EncodeRemoteWriteBody(request);
}

// count_over_time per (writer, series) over the whole test's samples, as a
// one-step query_range at `end_ms`.
std::map<std::string, int64_t> StoredCounts(const Quartetd& q, int64_t end_ms) {
  std::map<std::string, int64_t> out;
  const std::string end = std::to_string(end_ms / 1000) + "." + std::to_string(end_ms % 1000 / 100);
  Quartetd::Response r =
      q.Query("/api/v1/query_range", {{"query", "count_over_time(kill_test_total[1h])"},
                                      {"start", end},
                                      {"end", end},
                                      {"step", "1"}});
  EXPECT_EQ(r.status, 200) << r.body;
  Result<json::Value> doc = json::Parse(r.body);
  if (!doc.ok() || doc->Find("data") == nullptr) return out;
  for (const json::Value& series : doc->Find("data")->Find("result")->items()) {
    const json::Value* metric = series.Find("metric");
    const std::string key =
        metric->Find("writer")->string_value() + "/" + metric->Find("series")->string_value();
    const auto& values = series.Find("values")->items();
    EXPECT_EQ(values.size(), 1u);
    if (!values.empty()) out[key] = std::stoll(values[0].items()[1].string_value());
  }
  return out;
}

TEST(QuartetdMetricsKillTest, Kill9DuringRemoteWriteLosesNoAcknowledgedSample) {
  Quartetd q;
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t base_ms = (now_ms - 40 * 60 * 1000) / 1000 * 1000;  // 40 min ago, whole second
  std::atomic<bool> stop{false};
  std::vector<int64_t> acked(kWriters, 0);  // batches acknowledged, each writer's own slot
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int64_t batch = 0; !stop && batch < 20000; ++batch) {
        Quartetd::Response r = q.Post(
            "/api/v1/write", Batch(w, batch, base_ms), "application/x-protobuf",
            {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
        if (r.status != 204) {
          if (r.status != 0) ADD_FAILURE() << "writer " << w << ": " << r.status << " " << r.body;
          return;  // the server is gone (or refused): this batch is not acknowledged
        }
        acked[w] = batch + 1;
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  q.process().Kill9();
  stop = true;
  for (std::thread& t : writers) t.join();
  int64_t total_acked = 0;
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_GT(acked[w], 10) << "writer " << w << " too slow to test anything";
    ASSERT_LT(acked[w], 20000) << "the kill came after the writer finished";
    total_acked += acked[w] * kSeriesPerWriter;
  }
  ASSERT_TRUE(q.Restart(/*kill9=*/true)) << q.process().ReadStderr();

  const int64_t end_ms = base_ms + 20000 * kStepMs;
  const std::map<std::string, int64_t> stored = StoredCounts(q, end_ms);
  int64_t total_stored = 0;
  for (int w = 0; w < kWriters; ++w) {
    for (int s = 0; s < kSeriesPerWriter; ++s) {
      const std::string key = std::to_string(w) + "/" + std::to_string(s);
      const auto it = stored.find(key);
      ASSERT_NE(it, stored.end()) << key;
      // Every acknowledged batch, plus at most the one in flight at the kill.
      EXPECT_GE(it->second, acked[w]) << key;
      EXPECT_LE(it->second, acked[w] + 1) << key;
      total_stored += it->second;
    }
  }
  std::printf("kill -9 after %lld acknowledged samples from %d writers: %lld stored\n",
              static_cast<long long>(total_acked), kWriters, static_cast<long long>(total_stored));

  // The values too: the last acknowledged sample of writer 0, series 7.
  const int64_t last = acked[0] - 1;
  const int64_t t = base_ms + last * kStepMs;
  Quartetd::Response r =
      q.Query("/api/v1/query_range",
              {{"query", "kill_test_total{writer=\"0\",series=\"7\"}"},
               {"start", std::to_string(t / 1000) + "." + std::to_string(t % 1000 / 100)},
               {"end", std::to_string(t / 1000) + "." + std::to_string(t % 1000 / 100)},
               {"step", "1"}});
  EXPECT_NE(r.body.find("\"" + std::to_string(last * 10 + 7) + "\""), std::string::npos) << r.body;

  // Bad bodies: 400 with a message; nothing stored before is lost.
  r = q.Post("/api/v1/write", "not snappy at all", "application/x-protobuf",
             {{"Content-Encoding", "snappy"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.body.empty());
  rw::WriteRequest duplicate;
  rw::TimeSeries& ts = duplicate.timeseries.emplace_back();
  ts.labels = {{"__name__", "x"}, {"a", "1"}, {"a", "2"}};
  ts.samples.push_back({.value = 1, .timestamp_ms = now_ms});
  r = q.Post("/api/v1/write", rw::EncodeRemoteWriteBody(duplicate), "application/x-protobuf",
             {{"Content-Encoding", "snappy"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("duplicate label name"), std::string::npos) << r.body;
  r = q.Post("/v1/metrics", std::string("\x0a\xff\xff", 3), "application/x-protobuf");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.body.empty());
  r = q.Post("/v1/metrics",
             "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":"
             "\"!!\",\"gauge\":{}}]}]}]}",
             "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("has no letter or digit"), std::string::npos) << r.body;
  EXPECT_EQ(StoredCounts(q, end_ms), stored);
}

}  // namespace
}  // namespace quartet::testing
