#include "wire/prometheus/content_type.h"

#include <gtest/gtest.h>

namespace quartet::prometheus {
namespace {

TEST(ContentTypeTest, ChooseFormat) {
  struct Case {
    const char* accept;
    Format want;
  } cases[] = {
      // Prometheus 2.42's scrape Accept header.
      {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
       "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
       Format::kOpenMetrics1},
      // Prometheus with exemplars off / older: text first.
      {"text/plain;version=0.0.4;q=1,*/*;q=0.1", Format::kText004},
      {"application/openmetrics-text; version=0.0.1; q=0.75, text/plain; version=0.0.4; q=0.5",
       Format::kOpenMetrics1},
      {"text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5", Format::kText004},
      {"APPLICATION/OpenMetrics-Text", Format::kOpenMetrics1},
      {"application/openmetrics-text;version=2.0.0", Format::kText004},  // unknown version
      {"application/openmetrics-text;q=0", Format::kText004},
      {"application/openmetrics-text;q=abc", Format::kText004},  // malformed q: ignored
      {"application/openmetrics-text;version=\"1.0.0\"", Format::kOpenMetrics1},
      {"*/*", Format::kText004},
      {"", Format::kText004},
      {",,;;,", Format::kText004},
      {"application/json", Format::kText004},
  };
  for (const Case& c : cases) EXPECT_EQ(ChooseFormat(c.accept), c.want) << c.accept;
}

TEST(ContentTypeTest, ExactStrings) {
  EXPECT_EQ(ContentType(Format::kText004), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ContentType(Format::kOpenMetrics1),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace quartet::prometheus
