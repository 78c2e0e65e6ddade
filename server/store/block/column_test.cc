#include "server/store/block/column.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Varint, RoundTripAndRejectsOverflow) {
  for (uint64_t v :
       {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 63, ~uint64_t{0}}) {
    std::string s;
    PutVarint64(&s, v);
    std::string_view in(s);
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
    std::string_view cut(s.data(), s.size() - 1);
    EXPECT_FALSE(GetVarint64(&cut, &got)) << v;
  }
  std::string eleven(10, '\xff');
  eleven += '\x01';
  std::string_view in(eleven);
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string over = std::string(9, '\xff') + '\x02';  // bit 64 set
  in = over;
  EXPECT_FALSE(GetVarint64(&in, &v));
  for (int64_t x : {int64_t{0}, int64_t{-1}, int64_t{1}, kMin, kMax}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(x)), x);
  }
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
}

TEST(Int64Column, RoundTripTable) {
  std::vector<int64_t> sorted_ts, jitter_ts, random;
  std::mt19937_64 rng(3);
  int64_t t = 1'700'000'000'000'000'000;
  for (int64_t i = 0; i < 10000; ++i) {
    sorted_ts.push_back(t + i * 1'000'000);
    jitter_ts.push_back(t + i * 1'000'000 + static_cast<int64_t>(rng() % 5000));
    random.push_back(static_cast<int64_t>(rng()));
  }
  struct Case {
    const char* name;
    std::vector<int64_t> values;
    size_t max_bytes;  // 0: no size expectation
  };
  std::vector<Case> cases = {
      {"empty", {}, 1},
      {"one", {42}, 3},
      {"extremes", {kMin, kMax, kMin, 0, -1, kMax, kMax}, 0},
      {"unsorted", {5, -3, 100, 7, 7, -100000, 2}, 0},
      {"regular timestamps", sorted_ts, 10000 + 32},  // delta-of-delta: 1 byte each
      {"jittered timestamps", jitter_ts, 10000 * 3 + 32},
      {"random", random, 0},
  };
  for (const Case& c : cases) {
    std::string enc = EncodeInt64s(c.values);
    if (c.max_bytes > 0) {
      EXPECT_LE(enc.size(), c.max_bytes) << c.name;
    }
    auto dec = DecodeInt64s(enc);
    ASSERT_TRUE(dec.ok()) << c.name << dec.status().ToString();
    EXPECT_EQ(*dec, c.values) << c.name;
    // Every truncation is an error, never a shorter column.
    for (size_t len = 0; len < enc.size(); len += enc.size() < 100 ? 1 : 997) {
      EXPECT_FALSE(DecodeInt64s(std::string_view(enc).substr(0, len)).ok()) << c.name << len;
    }
    EXPECT_FALSE(DecodeInt64s(enc + "x").ok()) << c.name;
  }
}

TEST(Int64Column, RejectsForgedCountAndMode) {
  std::string huge;
  PutVarint64(&huge, uint64_t{1} << 60);
  huge += '\x01';
  EXPECT_EQ(DecodeInt64s(huge).status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(DecodeInt64s(std::string("\x01\x07\x00", 3)).ok());  // mode 7
}

TEST(Uint32Column, RoundTripTable) {
  std::vector<uint32_t> small, big;
  for (uint32_t i = 0; i < 1000; ++i) {
    small.push_back(i % 5);
    big.push_back(i * 4000037u);
  }
  struct Case {
    const char* name;
    std::vector<uint32_t> values;
    size_t expect_bytes;
  };
  std::vector<Case> cases = {
      {"empty", {}, 2},
      {"zeros", {0, 0, 0}, 2},
      {"one", {1}, 3},
      {"max", {0xffffffffu, 0, 0xffffffffu}, 2 + 12},
      {"small ids: 3 bits", small, 3 + 375},
      {"wide", big, 0},
  };
  for (const Case& c : cases) {
    std::string enc = EncodeUint32s(c.values);
    if (c.expect_bytes > 0) {
      EXPECT_EQ(enc.size(), c.expect_bytes) << c.name;
    }
    auto dec = DecodeUint32s(enc);
    ASSERT_TRUE(dec.ok()) << c.name;
    EXPECT_EQ(*dec, c.values) << c.name;
    EXPECT_FALSE(DecodeUint32s(enc.substr(0, enc.size() - 1)).ok()) << c.name;
    EXPECT_FALSE(DecodeUint32s(enc + "x").ok()) << c.name;
  }
  EXPECT_FALSE(DecodeUint32s(std::string("\x01\x21\x00\x00\x00\x00\x00", 7)).ok());  // width 33
  std::string forged;
  PutVarint64(&forged, ~uint64_t{0});
  forged += '\x08';
  forged += "abc";
  EXPECT_FALSE(DecodeUint32s(forged).ok());
  // A forged count of zero-width values must not allocate gigabytes.
  std::string zero_width_huge;
  PutVarint64(&zero_width_huge, uint64_t{1} << 32);
  zero_width_huge += '\x00';
  EXPECT_FALSE(DecodeUint32s(zero_width_huge).ok());
  std::vector<uint32_t> zeros(1000, 0);
  EXPECT_TRUE(DecodeUint32s(EncodeUint32s(zeros), 1000).ok());
  EXPECT_FALSE(DecodeUint32s(EncodeUint32s(zeros), 999).ok());
}

TEST(StringColumn, RoundTripTable) {
  std::vector<std::vector<std::string>> cases = {
      {},
      {""},
      {"", "", ""},
      {"one"},
      {std::string(100000, 'x'), "", std::string("nul\0inside", 10), "{\"level\":\"info\"}"},
  };
  for (const auto& values : cases) {
    std::string enc = EncodeStrings(values);
    auto dec = DecodeStrings(enc);
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(dec->ToVector(), values);
    for (size_t len = 0; len < enc.size(); ++len) {
      EXPECT_FALSE(DecodeStrings(std::string_view(enc).substr(0, len)).ok()) << len;
    }
    EXPECT_FALSE(DecodeStrings(enc + "x").ok());
  }
  std::string forged;
  PutVarint64(&forged, 2);
  PutVarint64(&forged, ~uint64_t{0} - 1);
  PutVarint64(&forged, 3);
  forged += "abc";
  EXPECT_FALSE(DecodeStrings(forged).ok());
}

TEST(StringDictionary, IdsLookupAndReverseLookup) {
  StringDictionaryBuilder b;
  EXPECT_EQ(b.Add("GET /cart"), 0u);
  EXPECT_EQ(b.Add("POST /pay"), 1u);
  EXPECT_EQ(b.Add("GET /cart"), 0u);
  EXPECT_EQ(b.Add(""), 2u);
  for (int i = 0; i < 1000; ++i) b.Add("name" + std::to_string(i % 100));  // rehashes
  EXPECT_EQ(b.size(), 103u);
  StringDictionaryBuilder moved = std::move(b);
  EXPECT_EQ(moved.Add("POST /pay"), 1u);
  auto dict = StringDictionary::Decode(moved.Encode());
  ASSERT_TRUE(dict.ok());
  EXPECT_EQ(dict->size(), 103u);
  EXPECT_EQ(*dict->Lookup(0), "GET /cart");
  EXPECT_EQ(*dict->Lookup(2), "");
  EXPECT_EQ(*dict->Lookup(102), "name99");
  EXPECT_FALSE(dict->Lookup(103).has_value());
  EXPECT_EQ(dict->Find("POST /pay"), 1u);
  EXPECT_EQ(dict->Find("name50"), 53u);
  EXPECT_FALSE(dict->Find("DELETE").has_value());
  StringDictionary d2 = std::move(dict).value();
  EXPECT_EQ(d2.Find("name50"), 53u);
  // Duplicates mean a damaged dictionary.
  std::vector<std::string> dup = {"a", "a"};
  EXPECT_FALSE(StringDictionary::Decode(EncodeStrings(dup)).ok());
}

}  // namespace
}  // namespace quartet::store
