// One parsed query shared by several threads, each with its own evaluation
// (and so its own Pipeline): the compiled parts (RE2, patterns, templates)
// are shared read-only. Run under TSan (label "concurrency").
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "server/query/logql/evaluator.h"
#include "server/query/logql/memory_log_source.h"
#include "server/query/logql/parser.h"

namespace quartet::logql {
namespace {

TEST(ConcurrencyTest, SharedExprEvaluatesInParallel) {
  MemoryLogSource source;
  for (int i = 0; i < 2000; ++i) {
    source.Add({{"app", "api"}, {"pod", "p" + std::to_string(i % 3)}}, int64_t{i} * 1'000'000'000,
               "level=" + std::string(i % 4 == 0 ? "error" : "info") + " msg=\"m" +
                   std::to_string(i) + "\" took=" + std::to_string(i % 100) + "ms");
  }
  auto logs = Parse(
      R"({app=~"a.i"} |~ "error|warn" | logfmt | pattern "<_> took=<t>" | line_format "{{.msg | upper}}")");
  auto metric = Parse(R"(sum by (pod) (rate({app="api"} | logfmt | level=~"err.*" [1m])) > 0.01)");
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  ASSERT_TRUE(metric.ok()) << metric.status().ToString();
  std::vector<std::thread> threads;
  std::vector<size_t> entries(4), series(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        auto l = EvaluateLogs(*logs, source, 0, int64_t{2000} * 1'000'000'000, 1000,
                              Direction::kBackward);
        auto m = EvaluateRange(*metric, source, int64_t{60} * 1'000'000'000,
                               int64_t{1999} * 1'000'000'000, int64_t{60} * 1'000'000'000);
        if (!l.ok() || !m.ok()) return;
        entries[t] = 0;
        for (const auto& s : *l) entries[t] += s.entries.size();
        series[t] = m->size();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(entries[t], 500u);
    EXPECT_EQ(series[t], 3u);
  }
}

}  // namespace
}  // namespace quartet::logql
