#include "wire/protobuf/writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace quartet::protobuf {
namespace {

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST(WriterTest, ScalarsMatchProtobufEncoding) {
  // Expected bytes are from the protobuf encoding guide and protoc output.
  struct Case {
    const char* name;
    void (*write)(Writer&);
    const char* hex;
  };
  const Case cases[] = {
      {"varint 150", [](Writer& w) { w.Uint64(1, 150); }, "089601"},
      {"varint 0", [](Writer& w) { w.Uint64(1, 0); }, "0800"},
      {"uint64 max", [](Writer& w) { w.Uint64(1, ~0ull); }, "08ffffffffffffffffff01"},
      {"int32 -1 sign-extends", [](Writer& w) { w.Int32(1, -1); }, "08ffffffffffffffffff01"},
      {"int64 -2", [](Writer& w) { w.Int64(2, -2); }, "10feffffffffffffffff01"},
      {"sint32 -1", [](Writer& w) { w.Sint32(1, -1); }, "0801"},
      {"sint64 1", [](Writer& w) { w.Sint64(1, 1); }, "0802"},
      {"sint64 -64", [](Writer& w) { w.Sint64(1, -64); }, "087f"},
      {"sint64 min", [](Writer& w) { w.Sint64(1, std::numeric_limits<int64_t>::min()); },
       "08ffffffffffffffffff01"},
      {"bool", [](Writer& w) { w.Bool(3, true); }, "1801"},
      {"fixed32", [](Writer& w) { w.Fixed32(16, 257); }, "850101010000"},
      {"fixed64", [](Writer& w) { w.Fixed64(7, 0x0102030405060708ull); }, "390807060504030201"},
      {"double 1.5", [](Writer& w) { w.Double(4, 1.5); }, "21000000000000f83f"},
      {"float 1.5", [](Writer& w) { w.Float(1, 1.5f); }, "0d0000c03f"},
      {"string", [](Writer& w) { w.String(2, "testing"); }, "120774657374696e67"},
      {"empty bytes", [](Writer& w) { w.Bytes(2, ""); }, "1200"},
      {"big field number", [](Writer& w) { w.Uint32(kMaxFieldNumber, 1); }, "f8ffffff0f01"},
      {"packed varint",
       [](Writer& w) {
         std::vector<uint64_t> v = {3, 270, 86942};
         w.PackedVarint(4, v);
       },
       "2206038e029ea705"},
      {"packed empty writes nothing", [](Writer& w) { w.PackedFixed64(6, {}); }, ""},
      {"packed double",
       [](Writer& w) {
         std::vector<double> v = {1.5};
         w.PackedDouble(7, v);
       },
       "3a08000000000000f83f"},
  };
  for (const Case& c : cases) {
    Writer w;
    c.write(w);
    EXPECT_EQ(Hex(w.data()), c.hex) << c.name;
  }
}

TEST(WriterTest, NestedMessageLengthsAreCanonical) {
  // Bodies of 0, 127, 128, 16383, 16384 and 2^21 bytes exercise every
  // length-byte count the backpatch can produce.
  for (size_t len : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 1u << 21}) {
    Writer w;
    w.Uint32(1, 7);
    auto m = w.BeginMessage(2);
    w.Raw(std::string(len, 'x'));
    w.EndMessage(m);
    w.Uint32(3, 9);
    std::string expect = "\x08\x07\x12";
    char tmp[10];
    expect.append(tmp, EncodeVarint(len, tmp));
    expect += std::string(len, 'x');
    expect += "\x18\x09";
    EXPECT_EQ(w.data(), expect) << "len " << len;
  }
}

TEST(WriterTest, DeeplyNestedMessagesBackpatchInnermostFirst) {
  Writer w;
  auto a = w.BeginMessage(1);
  auto b = w.BeginMessage(2);
  w.Raw(std::string(200, 'y'));
  w.EndMessage(b);
  w.String(3, "z");
  w.EndMessage(a);
  // inner: tag 0x12, len 200 = c8 01, body. outer body = 3 + 200 + 3 = 206.
  std::string inner = std::string("\x12\xc8\x01", 3) + std::string(200, 'y') + "\x1a\x01z";
  std::string expect = std::string("\x0a\xce\x01", 3) + inner;
  EXPECT_EQ(w.data(), expect);
}

TEST(WriterTest, ReleaseEmptiesAndClearKeepsWorking) {
  Writer w(64);
  w.String(1, "a");
  std::string out = w.Release();
  EXPECT_EQ(out,
            "\x0a\x01"
            "a");
  EXPECT_EQ(w.size(), 0u);
  w.Bool(1, false);
  w.Clear();
  EXPECT_TRUE(w.data().empty());
}

TEST(ZigZagTest, RoundTripsExtremes) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(UnZigZag64(ZigZag64(v)), v);
  }
  for (int32_t v :
       {0, -1, 1, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}) {
    EXPECT_EQ(UnZigZag32(ZigZag32(v)), v);
  }
  EXPECT_EQ(ZigZag64(-1), 1u);
  EXPECT_EQ(ZigZag64(2147483647), 4294967294u);
}

}  // namespace
}  // namespace quartet::protobuf
