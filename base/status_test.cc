#include "base/status.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("value must be positive");
  return v;
}

Status Chain(int v) {
  ASSIGN_OR_RETURN(int x, ParsePositive(v));
  if (x > 10) return Status::OutOfRange("too big");
  return Status::Ok();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().ToString(), "OK");
  Status s = Status::InvalidArgument("bad id");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: bad id");
  EXPECT_EQ(s.Annotate("span 3").message(), "span 3: bad id");
}

TEST(StatusTest, ResultAndMacrosPropagate) {
  EXPECT_TRUE(Chain(5).ok());
  EXPECT_EQ(Chain(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(11).code(), StatusCode::kOutOfRange);
  Result<int> r = ParsePositive(7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
}

}  // namespace
}  // namespace quartet
