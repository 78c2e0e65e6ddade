#include "server/api/pyroscope/query_params.h"

#include <gtest/gtest.h>

namespace quartet::api {
namespace {

constexpr int64_t kS = 1'000'000'000;
using Op = store::LabelMatch::Op;

TEST(ParseProfileQueryTest, Valid) {
  struct Case {
    const char* text;
    const char* type;
    std::vector<store::LabelMatch> matchers;
  };
  const Case cases[] = {
      {"process_cpu:cpu:nanoseconds:cpu:nanoseconds{}",
       "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
       {}},
      {"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"checkout\"}",
       "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
       {{"service_name", Op::kEq, "checkout"}}},
      {"memory:alloc_space:bytes:space:bytes{service_name=~\"check.*\",env!=\"dev\",v!~\"1\\\\..*"
       "\"}",
       "memory:alloc_space:bytes:space:bytes",
       // PromQL's parser sorts matchers by name.
       {{"env", Op::kNeq, "dev"}, {"service_name", Op::kRe, "check.*"}, {"v", Op::kNre, "1\\..*"}}},
      {"{__name__=\"wall:wall:nanoseconds:wall:nanoseconds\",service_name=\"a\"}",
       "wall:wall:nanoseconds:wall:nanoseconds",
       {{"service_name", Op::kEq, "a"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<ProfileQuery> q = ParseProfileQuery(c.text);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ(q->type.Id(), c.type);
    ASSERT_EQ(q->matchers.size(), c.matchers.size());
    for (size_t i = 0; i < c.matchers.size(); ++i) {
      EXPECT_EQ(q->matchers[i].name, c.matchers[i].name);
      EXPECT_EQ(q->matchers[i].op, c.matchers[i].op);
      EXPECT_EQ(q->matchers[i].value, c.matchers[i].value);
    }
  }
  Result<ProfileQuery> bare = ParseProfileQuery("{service_name=\"x\"}", false);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->type.name, "");
  EXPECT_EQ(bare->matchers.size(), 1u);
}

TEST(ParseProfileQueryTest, InvalidWithPreciseMessages) {
  struct Case {
    const char* text;
    const char* message_part;
  };
  const Case cases[] = {
      {"", "want <profile type>{<label matchers>}"},
      {"process_cpu{}", "invalid profile type \"process_cpu\""},
      {"a:b:c:d:e{service_name=\"x\"", "parse error"},
      {"a:b:c:d:e{service_name=x}", "parse error"},
      {"{service_name=\"x\"}", "no profile type"},
      {"sum(a:b:c:d:e)", "want <profile type>{<label matchers>}"},
      {"a:b:c:d:e offset 5m", "want <profile type>{<label matchers>}"},
      {"a:b:c:d:e{__name__=\"f:g:h:i:j\"}", "metric name must not be set twice"},
      {"{__name__=~\"a.*\"}", "the profile type must be matched with ="},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<ProfileQuery> q = ParseProfileQuery(c.text);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(q.status().message().find(c.message_part), std::string_view::npos)
        << q.status().message();
  }
}

TEST(ParsePyroscopeTimeTest, Forms) {
  const int64_t now = 1'764'000'000 * kS;
  struct Case {
    const char* text;
    int64_t want;
  };
  const Case cases[] = {
      {"now", now},
      {"now-1h", now - 3600 * kS},
      {"now-15m", now - 900 * kS},
      {"now+30s", now + 30 * kS},
      {"1764000000", 1'764'000'000 * kS},
      {"1764000000123", 1'764'000'000'123'000'000},
      {"1764000000123456", 1'764'000'000'123'456'000},
      {"1764000000123456789", 1'764'000'000'123'456'789},
      {"0", 0},
      {"1764000000.5", 1'764'000'000 * kS + 500'000'000},
      {"2025-11-24T16:00:00Z", 1'764'000'000 * kS},
  };
  for (const Case& c : cases) {
    Result<int64_t> t = ParsePyroscopeTime(c.text, now);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(*t, c.want) << c.text;
  }
  for (const char* bad : {"", "yesterday", "now-", "now-1x", "12:00", "now*2"}) {
    Result<int64_t> t = ParsePyroscopeTime(bad, now);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(SpanIdParamsTest, ListsAndErrors) {
  server::HttpRequest r;
  r.params = {{"span_id", "00F067AA0BA902B7,1111111111111111"},
              {"spanSelector", "2222222222222222"}};
  Result<std::vector<std::string>> ids = SpanIdParams(r);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids,
            (std::vector<std::string>{"00f067aa0ba902b7", "1111111111111111", "2222222222222222"}));
  for (const char* bad : {"abc", "00f067aa0ba902b7,", "zzzzzzzzzzzzzzzz", "00f067aa0ba902b7aa"}) {
    server::HttpRequest b;
    b.params = {{"span_id", bad}};
    Result<std::vector<std::string>> r2 = SpanIdParams(b);
    ASSERT_FALSE(r2.ok()) << bad;
    EXPECT_NE(r2.status().message().find("invalid parameter \"span_id\""), std::string_view::npos);
  }
}

}  // namespace
}  // namespace quartet::api
