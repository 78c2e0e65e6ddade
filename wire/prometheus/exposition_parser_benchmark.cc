// Exposition parsing throughput, in bytes of exposition text per second, on a
// realistic scrape: the SDK's own writers rendering HTTP-server-like
// families (a counter by route/method/status, a latency histogram with
// exemplars, gauges), in both formats.
//   build-w/bin/exposition_parser_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <limits>
#include <string>
#include <vector>

#include "wire/prometheus/exposition_parser.h"
#include "wire/prometheus/text_format.h"

namespace quartet::prometheus {
namespace {

std::vector<Family> ScrapeFamilies() {
  std::vector<Family> out;
  Family requests{"http_server_requests", "Requests served.", MetricType::kCounter, {}};
  Family latency{
      "http_server_request_duration_seconds", "Request latency.", MetricType::kHistogram, {}};
  const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                           0.5,   1,    2.5,   5,    10,  std::numeric_limits<double>::infinity()};
  for (int route = 0; route < 20; ++route) {
    for (const char* method : {"GET", "POST"}) {
      for (const char* status : {"200", "404", "500"}) {
        Point p;
        p.labels = {{"service_name", "checkout"},
                    {"route", "/api/v1/orders/" + std::to_string(route)},
                    {"method", method},
                    {"status", status}};
        p.value = 123456 + route;
        requests.points.push_back(p);
      }
      Point h;
      h.labels = {{"service_name", "checkout"},
                  {"route", "/api/v1/orders/" + std::to_string(route)},
                  {"method", method}};
      uint64_t count = 0;
      for (double b : bounds) {
        count += 17;
        Bucket bucket{b, count, std::nullopt};
        if (count % 3 == 0) {
          bucket.exemplar = Exemplar{
              {{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}, {"span_id", "00f067aa0ba902b7"}},
              0.042,
              1700000000123000000};
        }
        h.buckets.push_back(bucket);
      }
      h.count = count;
      h.sum = 12.75;
      latency.points.push_back(h);
    }
  }
  Family temp{"process_resident_memory_bytes", "Resident memory.", MetricType::kGauge, {}};
  Point g;
  g.value = 1.234e9;
  temp.points.push_back(g);
  out = {requests, latency, temp};
  return out;
}

void Parse(benchmark::State& state, Format format) {
  std::vector<Family> families = ScrapeFamilies();
  std::string text =
      format == Format::kOpenMetrics1 ? WriteOpenMetrics(families) : WriteText004(families);
  size_t samples = 0;
  for (auto _ : state) {
    ExpositionParser parser(text, format);
    ExpositionEntry e;
    samples = 0;
    while (parser.Next(&e)) samples += e.kind == EntryKind::kSample;
    if (!parser.status().ok()) {
      state.SkipWithError(std::string(parser.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(samples);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_ParseText004(benchmark::State& state) { Parse(state, Format::kText004); }
void BM_ParseOpenMetrics(benchmark::State& state) { Parse(state, Format::kOpenMetrics1); }
BENCHMARK(BM_ParseText004);
BENCHMARK(BM_ParseOpenMetrics);

}  // namespace
}  // namespace quartet::prometheus

BENCHMARK_MAIN();
