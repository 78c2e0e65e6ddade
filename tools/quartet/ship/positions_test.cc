#include "tools/quartet/ship/positions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace quartet::ship {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/ship_positions_XXXXXX";
  return mkdtemp(tmpl);
}

TEST(PositionsTest, MissingFileIsEmpty) {
  Result<Positions> p = LoadPositions(TempDir() + "/none");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->empty());
}

TEST(PositionsTest, SaveThenLoadRoundTripsAndLeavesNoTempFile) {
  std::string dir = TempDir();
  Positions want = {{"/var/log/app.log", FilePosition{{64769, 1234567}, 4096}},
                    {"/var/log/with space.log", FilePosition{{1, 2}, 0}}};
  ASSERT_TRUE(SavePositions(dir + "/pos", want).ok());
  Result<Positions> got = LoadPositions(dir + "/pos");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, want);
  EXPECT_NE(access((dir + "/pos.tmp").c_str(), F_OK), 0);

  // Overwrites replace, never append.
  Positions next = {{"/var/log/app.log", FilePosition{{64769, 1234567}, 8192}}};
  ASSERT_TRUE(SavePositions(dir + "/pos", next).ok());
  EXPECT_EQ(*LoadPositions(dir + "/pos"), next);
}

TEST(PositionsTest, RejectsMalformedFilesNamingTheLine) {
  struct Case {
    std::string content;
    std::string want;
  };
  const Case cases[] = {
      {"garbage\n", ":1: not a positions file"},
      {"quartet-ship-positions 1\n1 2 3 /ok\nx 2 3 /bad\n", ":3: expected"},
      {"quartet-ship-positions 1\n1 2 -3 /neg\n", ":2: expected"},
      {"quartet-ship-positions 1\n1 2 3\n", ":2: expected"},
  };
  std::string dir = TempDir();
  for (const Case& c : cases) {
    std::ofstream(dir + "/pos", std::ios::trunc) << c.content;
    Result<Positions> p = LoadPositions(dir + "/pos");
    ASSERT_FALSE(p.ok()) << c.content;
    EXPECT_EQ(p.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(p.status().message().find(c.want), std::string_view::npos) << p.status().ToString();
  }
}

TEST(PositionsTest, PathWithNewlineIsRejected) {
  Status st = SavePositions(TempDir() + "/pos", {{"a\nb", {}}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quartet::ship
