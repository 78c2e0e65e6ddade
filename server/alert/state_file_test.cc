#include "server/alert/state_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace quartet::alert {
namespace {

std::vector<RuleAlerts> SampleState() {
  Alert firing;
  firing.labels = {{"alertname", "HighLatency"}, {"instance", "a\"b"}};
  firing.annotations = {{"summary", "p99 \xe2\x9c\x93 {{x}}"}};
  firing.state = AlertState::kFiring;
  firing.value = 0.1 + 0.2;
  firing.active_at_ms = 1'700'000'000'123;
  firing.fired_at_ms = 1'700'000'010'123;
  firing.last_sent_at_ms = 1'700'000'010'123;
  firing.valid_until_ms = 1'700'000'250'123;
  Alert pending = firing;
  pending.labels[1].value = "b";
  pending.state = AlertState::kPending;
  pending.value = NAN;
  pending.fired_at_ms = 0;
  return {{"/etc/rules.yml", "checkout", 2, "HighLatency", {firing, pending}},
          {"/etc/rules.yml", "other", 0, "X", {}}};
}

bool SameAlerts(const std::vector<RuleAlerts>& a, const std::vector<RuleAlerts>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].file != b[i].file || a[i].group != b[i].group || a[i].index != b[i].index ||
        a[i].rule != b[i].rule || a[i].alerts.size() != b[i].alerts.size()) {
      return false;
    }
    for (size_t j = 0; j < a[i].alerts.size(); ++j) {
      const Alert &x = a[i].alerts[j], &y = b[i].alerts[j];
      if (x.labels != y.labels || x.annotations != y.annotations || x.state != y.state ||
          x.active_at_ms != y.active_at_ms || x.fired_at_ms != y.fired_at_ms ||
          x.resolved_at_ms != y.resolved_at_ms || x.last_sent_at_ms != y.last_sent_at_ms ||
          x.valid_until_ms != y.valid_until_ms ||
          x.keep_firing_since_ms != y.keep_firing_since_ms ||
          std::memcmp(&x.value, &y.value, sizeof x.value) != 0) {
        return false;
      }
    }
  }
  return true;
}

TEST(StateFileTest, RoundTrip) {
  const std::string dir = ::testing::TempDir() + "/state_file_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/state";
  EXPECT_EQ(ReadAlertStateFile(path).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteAlertStateFile(path, SampleState()).ok());
  Result<std::vector<RuleAlerts>> read = ReadAlertStateFile(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_TRUE(SameAlerts(*read, SampleState()));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  // Replaced wholesale.
  ASSERT_TRUE(WriteAlertStateFile(path, {}).ok());
  read = ReadAlertStateFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST(StateFileTest, EveryFlippedByteIsDetected) {
  const std::string good = EncodeAlertState(SampleState());
  ASSERT_TRUE(DecodeAlertState(good).ok());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x20;
    Result<std::vector<RuleAlerts>> r = DecodeAlertState(bad);
    EXPECT_FALSE(r.ok()) << "byte " << i;
  }
  for (size_t n : {size_t{0}, size_t{10}, good.size() / 2, good.size() - 1}) {
    EXPECT_FALSE(DecodeAlertState(good.substr(0, n)).ok()) << n;
  }
  std::string flipped = good;
  flipped[good.size() - 5] ^= 1;
  EXPECT_EQ(DecodeAlertState(flipped).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace quartet::alert
