#include "sdk/metrics/validation.h"

#include <gtest/gtest.h>

namespace quartet::metrics_internal {
namespace {

TEST(ValidationTest, MetricNames) {
  for (const char* ok : {"a", "_a", ":a", "a:b_c9", "http_server_requests_total", "A"}) {
    EXPECT_TRUE(ValidateMetricName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "9a", "a-b", "a.b", "a b", "__a", "é"}) {
    EXPECT_FALSE(ValidateMetricName(bad).ok()) << bad;
  }
}

TEST(ValidationTest, LabelNames) {
  for (const char* ok : {"a", "_a", "route", "status_code2"}) {
    EXPECT_TRUE(ValidateLabelName(ok, true).ok()) << ok;
  }
  for (const char* bad : {"", "9a", "a:b", "a-b", "__name__"}) {
    EXPECT_FALSE(ValidateLabelName(bad, false).ok()) << bad;
  }
  EXPECT_TRUE(ValidateLabelName("le", false).ok());
  EXPECT_FALSE(ValidateLabelName("le", true).ok());
}

TEST(ValidationTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST(ValidationTest, SanitizeLabelName) {
  EXPECT_EQ(SanitizeLabelName("service.name"), "service_name");
  EXPECT_EQ(SanitizeLabelName("deployment.environment"), "deployment_environment");
  EXPECT_EQ(SanitizeLabelName("k8s-pod/name"), "k8s_pod_name");
  EXPECT_EQ(SanitizeLabelName("1abc"), "key_1abc");
  EXPECT_EQ(SanitizeLabelName(""), "key");
  EXPECT_EQ(SanitizeLabelName("__x"), "_x");
}

}  // namespace
}  // namespace quartet::metrics_internal
