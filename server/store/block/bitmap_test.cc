#include "server/store/block/bitmap.h"

#include <gtest/gtest.h>

namespace quartet::store {
namespace {

std::vector<size_t> SetBits(const Bitmap& b) {
  std::vector<size_t> out;
  b.ForEachSet([&](size_t i) { out.push_back(i); });
  std::vector<size_t> via_next;
  for (size_t i = b.NextSet(0); i < b.size(); i = b.NextSet(i + 1)) via_next.push_back(i);
  EXPECT_EQ(out, via_next);
  EXPECT_EQ(out.size(), b.Count());
  return out;
}

TEST(Bitmap, SetTestCombineIterate) {
  for (size_t size : {0, 1, 63, 64, 65, 200}) {
    Bitmap all(size, true);
    EXPECT_EQ(all.Count(), size) << size;
    EXPECT_EQ(all.Any(), size > 0);
    Bitmap none(size);
    EXPECT_EQ(Bitmap(all).Invert(), none) << size;
    EXPECT_EQ(SetBits(none), std::vector<size_t>{});
  }
  Bitmap a(130), b(130);
  for (size_t i : {0, 5, 64, 100, 129}) a.Set(i);
  for (size_t i : {5, 63, 100, 128}) b.Set(i);
  EXPECT_EQ(SetBits(Bitmap(a).And(b)), (std::vector<size_t>{5, 100}));
  EXPECT_EQ(SetBits(Bitmap(a).Or(b)), (std::vector<size_t>{0, 5, 63, 64, 100, 128, 129}));
  EXPECT_EQ(SetBits(Bitmap(a).AndNot(b)), (std::vector<size_t>{0, 64, 129}));
  EXPECT_EQ(Bitmap(a).Invert().Count(), 125u);
  a.Clear(64);
  EXPECT_FALSE(a.Test(64));
  EXPECT_TRUE(a.Test(129));
  EXPECT_EQ(a.NextSet(6), 100u);
  EXPECT_EQ(a.NextSet(130), 130u);
}

TEST(Bitmap, EncodeDecode) {
  Bitmap a(77);
  a.Set(0);
  a.Set(76);
  auto back = Bitmap::Decode(a.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a);
  std::string enc = a.Encode();
  EXPECT_FALSE(Bitmap::Decode(enc.substr(0, enc.size() - 1)).ok());
  enc.back() = '\xff';  // padding bits past size
  EXPECT_FALSE(Bitmap::Decode(enc).ok());
  EXPECT_TRUE(Bitmap::Decode(Bitmap().Encode()).ok());
}

}  // namespace
}  // namespace quartet::store
