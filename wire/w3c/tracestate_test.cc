// Conformance table for tracestate (w3c/trace-context test suite cases:
// empty header, multiple headers, duplicate keys, key/value character sets
// and length limits, member count limit, OWS handling).
#include "wire/w3c/tracestate.h"

#include <gtest/gtest.h>

#include <string>

namespace quartet::w3c {
namespace {

std::string Members(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out += ",";
    out += "k" + std::to_string(i) + "=v";
  }
  return out;
}

TEST(TraceStateTest, ConformanceTable) {
  struct Case {
    const char* name;
    std::string header;
    bool valid;
    std::string canonical;  // when valid
  };
  const std::string key256 = "a" + std::string(255, 'z');
  const std::string tenant241 = std::string(241, 't');
  const Case cases[] = {
      {"empty header", "", true, ""},
      {"only whitespace", "  \t ", true, ""},
      {"one member", "foo=1", true, "foo=1"},
      {"two headers joined", "foo=1,bar=2", true, "foo=1,bar=2"},
      {"ows around members", " foo=1 ,\tbar=2\t", true, "foo=1,bar=2"},
      {"empty members allowed", "foo=1,,, bar=2,", true, "foo=1,bar=2"},
      {"duplicated keys", "foo=1,foo=2", false, ""},
      {"duplicated keys across headers", "foo=1,bar=2,foo=3", false, ""},
      {"all allowed key chars", "abcdefghijklmnopqrstuvwxyz0123456789_-*/=1", true,
       "abcdefghijklmnopqrstuvwxyz0123456789_-*/=1"},
      {"multi-tenant key", "0tenant@sys-1=v", true, "0tenant@sys-1=v"},
      {"key starts with digit (simple)", "1foo=v", false, ""},
      {"key uppercase", "FOO=1", false, ""},
      {"key illegal char", "foo.bar=1", false, ""},
      {"key with space before =", "foo =1", false, ""},
      {"key empty", "=1", false, ""},
      {"key 256 chars", key256 + "=1", true, key256 + "=1"},
      {"key 257 chars", key256 + "z=1", false, ""},
      {"tenant 241 chars", tenant241 + "@vendor=1", true, tenant241 + "@vendor=1"},
      {"tenant 242 chars", tenant241 + "t@vendor=1", false, ""},
      {"system 14 chars", "t@abcdefghijklmn=1", true, "t@abcdefghijklmn=1"},
      {"system 15 chars", "t@abcdefghijklmno=1", false, ""},
      {"system starts with digit", "t@1vendor=1", false, ""},
      {"two @", "t@v@w=1", false, ""},
      {"empty tenant", "@vendor=1", false, ""},
      {"empty system", "tenant@=1", false, ""},
      {"value all allowed chars", "foo= !\"#$%&'()*+-./0123456789:;<>?@ABCXYZ[\\]^_`abcxyz{|}~",
       true, "foo= !\"#$%&'()*+-./0123456789:;<>?@ABCXYZ[\\]^_`abcxyz{|}~"},
      {"value empty", "foo=", false, ""},
      {"value with =", "foo=a=b", false, ""},
      {"value control char", "foo=a\x01", false, ""},
      {"value non-ascii", "foo=\xc3\xa9", false, ""},
      {"value 256 chars", "foo=" + std::string(256, 'v'), true, "foo=" + std::string(256, 'v')},
      {"value 257 chars", "foo=" + std::string(257, 'v'), false, ""},
      {"member without =", "foo", false, ""},
      {"32 members", Members(32), true, Members(32)},
      {"33 members", Members(33), false, ""},
  };
  for (const Case& c : cases) {
    Result<std::string> r = NormalizeTraceState(c.header);
    EXPECT_EQ(r.ok(), c.valid) << c.name << " -> " << r.status().ToString();
    if (r.ok() && c.valid) {
      EXPECT_EQ(*r, c.canonical) << c.name;
    }
  }
}

TEST(TraceStateTest, KeepsOrder) {
  auto r = ParseTraceState("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (TraceStateMember{"congo", "t61rcWkgMzE"}));
  EXPECT_EQ((*r)[1], (TraceStateMember{"rojo", "00f067aa0ba902b7"}));
}

}  // namespace
}  // namespace quartet::w3c
