// Baggage header cases from the W3C baggage spec: members, properties, OWS,
// percent-encoding, invalid members dropped individually, and limits.
#include "wire/w3c/baggage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quartet::w3c {
namespace {

using Members = std::vector<BaggageMember>;

TEST(BaggageTest, ParseTable) {
  struct Case {
    const char* name;
    std::string header;
    Members want;
    size_t invalid;
  };
  const Case cases[] = {
      {"empty", "", {}, 0},
      {"one", "k=v", {{"k", "v", ""}}, 0},
      {"spec example",
       "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
       {{"key1", "value1", "property1;property2"},
        {"key2", "value2", ""},
        {"key3", "value3", "propertyKey=propertyValue"}},
       0},
      {"percent decoded",
       "userId=alice%20smith,serverNode=DF%3A28,isProduction=false",
       {{"userId", "alice smith", ""}, {"serverNode", "DF:28", ""}, {"isProduction", "false", ""}},
       0},
      {"utf8 percent", "k=%E2%9C%93", {{"k", "\xe2\x9c\x93", ""}}, 0},
      {"lowercase percent", "k=%c3%a9", {{"k", "\xc3\xa9", ""}}, 0},
      {"empty value", "k=", {{"k", "", ""}}, 0},
      {"token chars in key", "!#$%&'*+-.^_`|~Az09=v", {{"!#$%&'*+-.^_`|~Az09", "v", ""}}, 0},
      {"duplicate keys kept in order", "k=1,k=2", {{"k", "1", ""}, {"k", "2", ""}}, 0},
      {"empty members skipped", "a=1,,b=2", {{"a", "1", ""}, {"b", "2", ""}}, 0},
      {"no = is invalid", "a=1,b,c=3", {{"a", "1", ""}, {"c", "3", ""}}, 1},
      {"empty key", "=v,a=1", {{"a", "1", ""}}, 1},
      {"key with space inside", "a b=1,c=3", {{"c", "3", ""}}, 1},
      {"key with separator", "a/b=1,c=3", {{"c", "3", ""}}, 1},
      {"value with space inside", "a=x y,c=3", {{"c", "3", ""}}, 1},
      {"value with dquote", "a=x\"y,c=3", {{"c", "3", ""}}, 1},
      {"value with backslash", "a=x\\y,c=3", {{"c", "3", ""}}, 1},
      {"bad percent escape", "a=%zz,b=%4,c=3", {{"c", "3", ""}}, 2},
      {"bad property key", "a=1;p q,c=3", {{"c", "3", ""}}, 1},
      {"property ows trimmed", "a=1; p = v ;q", {{"a", "1", "p=v;q"}}, 0},
  };
  for (const Case& c : cases) {
    BaggageParse p = ParseBaggage(c.header);
    EXPECT_EQ(p.members, c.want) << c.name;
    EXPECT_EQ(p.invalid, c.invalid) << c.name;
  }
}

TEST(BaggageTest, FormatRoundTrip) {
  const Members members = {
      {"user", "alice smith", ""}, {"enc", "50%,;\"\\=x", "p;q=1"}, {"u", "\xe2\x9c\x93", ""}};
  const std::string header = FormatBaggage(members);
  EXPECT_EQ(header, "user=alice%20smith,enc=50%25%2C%3B%22%5C=x;p;q=1,u=%E2%9C%93");
  EXPECT_EQ(ParseBaggage(header).members, members);
}

TEST(BaggageTest, FormatSkipsInvalidKeys) {
  EXPECT_EQ(FormatBaggage({{"bad key", "v", ""}, {"ok", "v", ""}, {"k", "v", "bad prop"}}), "ok=v");
}

TEST(BaggageTest, PropagatesAtLeast64MembersAnd8192Bytes) {
  std::string header;
  for (int i = 0; i < 64; ++i) {
    if (i) header += ",";
    // 64 members of 127 bytes each plus 63 commas: 8191 bytes in all.
    std::string key = "key" + std::to_string(i);
    header += key + "=" + std::string(127 - key.size() - 1, 'v');
  }
  ASSERT_LE(header.size(), kMaxBaggageBytes);
  BaggageParse p = ParseBaggage(header);
  EXPECT_EQ(p.members.size(), 64u);
  EXPECT_EQ(p.over_limit, 0u);
  EXPECT_EQ(FormatBaggage(p.members), header);
}

TEST(BaggageTest, DropsWholeMembersBeyondLimits) {
  std::string header;
  for (int i = 0; i < 200; ++i) {
    if (i) header += ",";
    header += "k" + std::to_string(i) + "=v";
  }
  BaggageParse p = ParseBaggage(header);
  EXPECT_EQ(p.members.size(), kMaxBaggageMembers);
  EXPECT_EQ(p.over_limit, 200 - kMaxBaggageMembers);

  const Members big = {
      {"a", std::string(5000, 'x'), ""}, {"b", std::string(5000, 'y'), ""}, {"c", "small", ""}};
  const std::string out = FormatBaggage(big);
  EXPECT_LE(out.size(), kMaxBaggageBytes);
  EXPECT_EQ(out, "a=" + std::string(5000, 'x'));  // never a partial member
  BaggageParse q =
      ParseBaggage("a=" + std::string(5000, 'x') + ",b=" + std::string(5000, 'y') + ",c=1");
  ASSERT_EQ(q.members.size(), 2u);
  EXPECT_EQ(q.members[1].key, "c");
  EXPECT_EQ(q.over_limit, 1u);
}

}  // namespace
}  // namespace quartet::w3c
