#include "server/query/logql/substring_search.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace quartet::logql {
namespace {

TEST(SubstringSearcherTest, Table) {
  struct Case {
    const char* needle;
    const char* hay;
    bool want;
  };
  const Case cases[] = {
      {"", "", true},
      {"", "x", true},
      {"a", "", false},
      {"abc", "abc", true},
      {"abc", "xxabc", true},
      {"abc", "abcxx", true},
      {"abc", "ab", false},
      {"abc", "abdabc", true},
      {"Zq", "zq", false},
      {"\"status\":5", R"({"status":503})", true},
      {"\"status\":5", R"({"status":200})", false},
      {"needle", "haystack with a needle inside", true},
      {"needle", "needl", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SubstringSearcher(c.needle).Contains(c.hay), c.want) << c.needle << " in " << c.hay;
  }
}

// Random and adversarial inputs (many false candidates, forcing the memmem
// fallback) agree with std::string_view::find.
TEST(SubstringSearcherTest, AgreesWithFind) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    const char* alphabet = round % 2 ? "ab" : "abcZ\" ";
    size_t k = std::strlen(alphabet);
    std::string needle(1 + rng() % 6, 'a'), hay(rng() % 300, 'a');
    for (char& c : needle) c = alphabet[rng() % k];
    for (char& c : hay) c = alphabet[rng() % k];
    if (round % 7 == 0) hay = std::string(2000, 'a') + needle.substr(0, needle.size() - 1);
    bool want = std::string_view(hay).find(needle) != std::string_view::npos;
    ASSERT_EQ(SubstringSearcher(needle).Contains(hay), want) << needle << " in " << hay;
  }
}

}  // namespace
}  // namespace quartet::logql
