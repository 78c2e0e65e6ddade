#include "server/store/metrics/index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "server/store/label_match.h"

namespace quartet::store {
namespace {

using Op = LabelMatch::Op;

TEST(HashLabelsTest, RefsHashLikeOwnedLabelsAndShortTailsAreDistinct) {
  // Every value length 0..20 (the word loop and each tail case), and the
  // same bytes split differently between name and value.
  std::set<uint64_t> seen;
  size_t sets = 0;
  for (size_t len = 0; len <= 20; ++len) {
    for (char c : {'a', 'b'}) {
      if (len == 0 && c == 'b') continue;  // the same empty value
      std::string value(len, 'x');
      if (len > 0) value[len / 2] = c;  // the middle byte: the 1-3 byte tail reads it
      const Labels owned = {{"__name__", "up"}, {"k", value}};
      const LabelRef refs[] = {{"__name__", "up"}, {"k", value}};
      EXPECT_EQ(HashLabels(owned), HashLabels(std::span<const LabelRef>(refs))) << len;
      seen.insert(HashLabels(owned));
      ++sets;
      // The same bytes with the name taking one more.
      if (len > 0) {
        seen.insert(
            HashLabels(Labels{{"__name__", "up"}, {"k" + value.substr(0, 1), value.substr(1)}}));
        ++sets;
      }
    }
  }
  EXPECT_EQ(seen.size(), sets);
}

TEST(SeriesIndexLookupTest, FindsEachValueLengthAndNotAOneByteChange) {
  // Values of every length 0..40 (each word/tail case of the comparison),
  // then the same sets with one byte changed at each position.
  SeriesIndex index;
  std::vector<std::string> values;
  for (size_t len = 1; len <= 40; ++len) {
    std::string v;
    for (size_t i = 0; i < len; ++i) v.push_back(static_cast<char>('a' + i % 26));
    values.push_back(v);
    bool created = false;
    index.GetOrAdd({{"__name__", "up"}, {"v", v}}, &created);
    ASSERT_TRUE(created);
  }
  for (uint32_t id = 0; id < values.size(); ++id) {
    const std::string& v = values[id];
    const LabelRef refs[] = {{"__name__", "up"}, {"v", v}};
    EXPECT_EQ(index.FindRefs(refs), id) << v;
    for (size_t pos = 0; pos < v.size(); ++pos) {
      std::string changed = v;
      changed[pos] = 'Z';
      const LabelRef other[] = {{"__name__", "up"}, {"v", changed}};
      EXPECT_FALSE(index.FindRefs(other).has_value()) << changed;
    }
  }
}

class SeriesIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Series with and without `env`, `code`; a few metric names.
    const char* names[] = {"http_requests_total", "up", "process_cpu_seconds_total"};
    const char* envs[] = {nullptr, "prod", "dev", "staging"};
    const char* codes[] = {nullptr, "200", "404", "500"};
    for (const char* name : names) {
      for (const char* env : envs) {
        for (const char* code : codes) {
          for (int instance = 0; instance < 3; ++instance) {
            Labels l = {{"__name__", name}};
            if (code) l.emplace_back("code", code);
            if (env) l.emplace_back("env", env);
            l.emplace_back("instance", "host-" + std::to_string(instance));
            std::sort(l.begin(), l.end());
            bool created;
            EXPECT_EQ(index_.GetOrAdd(l, &created), all_.size());
            EXPECT_TRUE(created);
            all_.push_back(l);
          }
        }
      }
    }
  }
  SeriesIndex index_;
  std::vector<Labels> all_;
};

TEST_F(SeriesIndexTest, SameLabelsSameId) {
  for (uint32_t id = 0; id < all_.size(); ++id) {
    bool created;
    EXPECT_EQ(index_.GetOrAdd(all_[id], &created), id);
    EXPECT_FALSE(created);
    EXPECT_EQ(index_.Find(all_[id]), id);
    EXPECT_EQ(index_.LabelsOf(id), all_[id]);
  }
  EXPECT_FALSE(index_.Find({{"__name__", "nope"}}).has_value());
}

// The lookup table grows by rehashing stored hashes: every series stays
// findable across growths, and near-misses (one value differs, a label more)
// are not found.
TEST(SeriesIndexLookupTest, FindsEverySeriesAcrossGrowth) {
  SeriesIndex index;
  auto labels_of = [](int i) {
    return Labels{{"__name__", "m" + std::to_string(i % 7)}, {"i", std::to_string(i)}};
  };
  for (int i = 0; i < 5000; ++i) {
    bool created = false;
    ASSERT_EQ(index.GetOrAdd(labels_of(i), &created), static_cast<uint32_t>(i));
    ASSERT_TRUE(created);
  }
  for (int i = 0; i < 5000; ++i) {
    bool created = true;
    EXPECT_EQ(index.GetOrAdd(labels_of(i), &created), static_cast<uint32_t>(i));
    EXPECT_FALSE(created);
    EXPECT_EQ(index.Find(labels_of(i)), std::optional<uint32_t>(i));
  }
  EXPECT_EQ(index.Find({{"__name__", "m0"}, {"i", "5000"}}), std::nullopt);
  EXPECT_EQ(index.Find({{"__name__", "m1"}, {"i", "0"}}), std::nullopt);
  EXPECT_EQ(index.Find({{"__name__", "m0"}, {"i", "0"}, {"j", "x"}}), std::nullopt);
  EXPECT_EQ(index.Find({}), std::nullopt);
}

TEST_F(SeriesIndexTest, SelectAgreesWithBruteForce) {
  const std::vector<std::vector<LabelMatch>> cases = {
      {},
      {{"__name__", Op::kEq, "up"}},
      {{"env", Op::kEq, ""}},       // series without env
      {{"env", Op::kNeq, ""}},      // series with env
      {{"env", Op::kNeq, "prod"}},  // includes series without env
      {{"env", Op::kRe, "prod|"}},  // prod or no env
      {{"env", Op::kRe, "pro.*"}},
      {{"env", Op::kRe, ".*"}},   // everything, with or without env
      {{"env", Op::kRe, ".+"}},   // with env
      {{"env", Op::kNre, ".+"}},  // without env
      {{"env", Op::kNre, "prod|dev"}},
      {{"env", Op::kNre, ""}},
      {{"code", Op::kRe, "2.."}, {"env", Op::kNeq, "dev"}},
      {{"__name__", Op::kRe, "http_.*"},
       {"code", Op::kNre, "5..|"},
       {"instance", Op::kEq, "host-1"}},
      {{"missing", Op::kEq, ""}},  // label no series has: everything
      {{"missing", Op::kEq, "x"}},
      {{"missing", Op::kRe, "x|"}},
      {{"missing", Op::kNeq, "x"}},
      {{"env", Op::kEq, "nope"}},
      {{"instance", Op::kRe, "HOST-1"}},  // case-sensitive
      {{"instance", Op::kRe, "host"}},    // anchored: no partial match
      {{"__name__", Op::kEq, "up"}, {"env", Op::kEq, ""}, {"code", Op::kNeq, ""}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Result<std::vector<uint32_t>> got = index_.Select(cases[i]);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    Result<CompiledMatchers> oracle = CompiledMatchers::Compile(cases[i]);
    ASSERT_TRUE(oracle.ok());
    std::vector<uint32_t> want;
    for (uint32_t id = 0; id < all_.size(); ++id) {
      if (oracle->Matches(all_[id])) want.push_back(id);
    }
    EXPECT_EQ(*got, want);
  }
}

TEST_F(SeriesIndexTest, RandomMatchersAgreeWithBruteForce) {
  std::mt19937 rng(11);
  const char* names[] = {"__name__", "env", "code", "instance", "missing"};
  const char* values[] = {"", "up", "prod", "200", "host-2", ".*", ".+", "2..|", "d.*|p.*", "x"};
  for (int round = 0; round < 500; ++round) {
    std::vector<LabelMatch> m;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) {
      m.push_back({names[rng() % 5], static_cast<Op>(rng() % 4), values[rng() % 10]});
    }
    Result<std::vector<uint32_t>> got = index_.Select(m);
    ASSERT_TRUE(got.ok());
    CompiledMatchers oracle = std::move(CompiledMatchers::Compile(m).value());
    std::vector<uint32_t> want;
    for (uint32_t id = 0; id < all_.size(); ++id) {
      if (oracle.Matches(all_[id])) want.push_back(id);
    }
    ASSERT_EQ(*got, want) << "round " << round;
  }
}

TEST_F(SeriesIndexTest, BadRegexIsInvalidArgument) {
  Result<std::vector<uint32_t>> got = index_.Select({{"env", Op::kRe, "(unclosed"}});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("env"), std::string_view::npos);
}

TEST_F(SeriesIndexTest, PostingsAndValues) {
  EXPECT_EQ(index_.Postings("__name__", "up").size(), all_.size() / 3);
  EXPECT_TRUE(index_.Postings("env", "nope").empty());
  std::set<std::string> envs;
  index_.ForEachValue("env", [&](std::string_view v, std::span<const uint32_t> ids) {
    envs.insert(std::string(v));
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  });
  EXPECT_EQ(envs, (std::set<std::string>{"dev", "prod", "staging"}));
  EXPECT_EQ(index_.ValueOf(0, "__name__"), "http_requests_total");
  EXPECT_EQ(index_.ValueOf(0, "env"), "");
}

}  // namespace
}  // namespace quartet::store
