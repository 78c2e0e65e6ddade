// One Engine and one MemorySeriesSource shared by several threads: every
// thread's answers equal the single-threaded ones (run under TSan in CI).
#include <gtest/gtest.h>

#include <thread>

#include "server/query/promql/engine.h"
#include "server/query/promql/memory_series_source.h"
#include "server/query/promql/result_json.h"

namespace quartet::promql {
namespace {

TEST(EngineConcurrency, ParallelQueriesAgreeWithSerialOnes) {
  MemorySeriesSource source;
  for (int i = 0; i < 20; ++i) {
    std::vector<Point> pts;
    for (int k = 0; k < 200; ++k)
      pts.push_back({k * 15'000, static_cast<double>(k * (i + 1) % 97)});
    source.Add({{"__name__", "m"}, {"i", std::to_string(i)}, {"le", std::to_string(i % 5)}}, pts);
  }
  const Engine engine(&source);
  const std::vector<std::string> queries = {
      "rate(m[5m])",
      "sum by (le) (rate(m[2m]))",
      "histogram_quantile(0.9, sum by (le) (m))",
      "topk(3, m) + on(i) group_left m",
      "max_over_time(deriv(m[3m])[10m:1m])",
      "label_replace(m, \"x\", \"$1\", \"i\", \"(.)\")",
  };
  auto run = [&](const std::string& q) {
    Result<QueryResult> r = engine.Range(q, 600'000, 2'400'000, 30'000);
    return r.ok() ? RenderSuccessJson(*r) : RenderErrorJson(r.status());
  };
  std::vector<std::string> want;
  for (const auto& q : queries) want.push_back(run(q));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < queries.size(); ++i) {
          if (run(queries[(i + t) % queries.size()]) != want[(i + t) % queries.size()])
            ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace quartet::promql
