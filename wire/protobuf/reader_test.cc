#include "wire/protobuf/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quartet::protobuf {
namespace {

using namespace std::string_literals;

// Reads every field of `in`; returns the fields and the final status.
Status ReadAll(std::string_view in, std::vector<Field>* fields) {
  Reader r(in);
  Field f;
  while (r.Next(&f)) fields->push_back(f);
  return r.status();
}

TEST(ReaderTest, RoundTripsEveryWireType) {
  Writer w;
  w.Uint64(1, 1ull << 63);
  w.Int32(2, -5);
  w.Sint64(3, -123456789);
  w.Fixed64(4, 0xdeadbeefcafef00dull);
  w.Fixed32(5, 0x01020304);
  w.Double(6, -2.25);
  w.Float(7, 0.5f);
  w.String(8, "hello");
  auto m = w.BeginMessage(9);
  w.Bool(1, true);
  w.EndMessage(m);
  w.Uint32(kMaxFieldNumber, 42);

  Reader r(w.data());
  Field f;
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(*f.Uint64(), 1ull << 63);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Int32(), -5);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Sint64(), -123456789);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Fixed64(), 0xdeadbeefcafef00dull);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Fixed32(), 0x01020304u);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Double(), -2.25);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Float(), 0.5f);
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(*f.Bytes(), "hello");
  ASSERT_TRUE(r.Next(&f));
  auto sub = r.Message(f);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->depth(), 1);
  Field g;
  ASSERT_TRUE(sub->Next(&g));
  EXPECT_EQ(*g.Bool(), true);
  EXPECT_FALSE(sub->Next(&g));
  EXPECT_TRUE(sub->done());
  ASSERT_TRUE(r.Next(&f));
  EXPECT_EQ(f.number, kMaxFieldNumber);
  EXPECT_FALSE(r.Next(&f));
  EXPECT_TRUE(r.status().ok());
  EXPECT_TRUE(r.done());
}

TEST(ReaderTest, MalformedInputGivesPreciseErrors) {
  struct Case {
    const char* name;
    std::string in;
    StatusCode code;
    const char* message_part;
  };
  const Case cases[] = {
      {"truncated tag", "\x80"s, StatusCode::kOutOfRange, "truncated varint"},
      {"truncated varint value", "\x08\xff"s, StatusCode::kOutOfRange, "truncated varint"},
      {"varint of 11 bytes", "\x08" + std::string(10, '\xff') + "\x01"s,
       StatusCode::kInvalidArgument, "varint"},
      {"varint overflowing 64 bits", "\x08" + std::string(9, '\xff') + "\x02"s,
       StatusCode::kInvalidArgument, "overflows 64 bits"},
      {"wire type 6", "\x0e"s, StatusCode::kInvalidArgument, "invalid wire type 6 for field 1"},
      {"wire type 7", "\x0f\x00"s, StatusCode::kInvalidArgument, "invalid wire type 7"},
      {"field number 0", "\x00\x01"s, StatusCode::kInvalidArgument, "invalid field number 0"},
      {"field number too big", "\xf8\xff\xff\xff\x1f\x00"s, StatusCode::kInvalidArgument,
       "invalid field number"},
      {"length past end",
       "\x12\x05"
       "abc"s,
       StatusCode::kOutOfRange, "length 5 of field 2 exceeds the 3 bytes remaining"},
      {"huge length", "\x12\xff\xff\xff\xff\x0f"s, StatusCode::kOutOfRange, "exceeds"},
      {"truncated fixed64", "\x09\x01\x02\x03"s, StatusCode::kOutOfRange, "truncated fixed64"},
      {"truncated fixed32", "\x0d\x01"s, StatusCode::kOutOfRange, "truncated fixed32"},
      {"unmatched end group", "\x0c"s, StatusCode::kInvalidArgument, "unmatched end-group"},
      {"unterminated group", "\x0b\x08\x01"s, StatusCode::kOutOfRange, "unterminated group 1"},
      {"mismatched end group", "\x0b\x14"s, StatusCode::kInvalidArgument,
       "end-group 2 does not match group 1"},
      {"error after good field", "\x08\x01\x12\x09"s, StatusCode::kOutOfRange, "at offset 2"},
  };
  for (const Case& c : cases) {
    std::vector<Field> fields;
    Status st = ReadAll(c.in, &fields);
    EXPECT_EQ(st.code(), c.code) << c.name << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.message_part), std::string_view::npos)
        << c.name << ": " << st.ToString();
  }
}

TEST(ReaderTest, SkipsGroupsIncludingNestedOnes) {
  // field 1 start-group { field 2 varint 5, field 3 start-group { } end 3 } end 1,
  // then field 4 varint 1.
  std::string in = "\x0b\x10\x05\x1b\x1c\x0c\x20\x01"s;
  std::vector<Field> fields;
  ASSERT_TRUE(ReadAll(in, &fields).ok());
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].type, WireType::kStartGroup);
  EXPECT_EQ(fields[0].bytes, "\x10\x05\x1b\x1c"s);
  EXPECT_EQ(fields[1].number, 4u);
}

TEST(ReaderTest, GroupNestingIsBounded) {
  std::string in;
  for (int i = 0; i < 200; ++i) in += "\x0b";
  std::vector<Field> fields;
  Status st = ReadAll(in, &fields);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("nested too deeply"), std::string_view::npos);
}

TEST(ReaderTest, MessageDepthIsBounded) {
  // A message nested kMaxDepth+1 times: each level is field 1 wrapping the next.
  std::string msg;
  for (int i = 0; i <= kMaxDepth; ++i) {
    Writer w;
    w.Message(1, msg);
    msg = w.Release();
  }
  Reader r(msg);
  Status st;
  int levels = 0;
  while (true) {
    Field f;
    if (!r.Next(&f)) break;
    auto sub = r.Message(f);
    if (!sub.ok()) {
      st = sub.status();
      break;
    }
    r = *sub;
    ++levels;
  }
  EXPECT_EQ(levels, kMaxDepth);
  EXPECT_NE(st.message().find("nested deeper than 64"), std::string_view::npos) << st.ToString();
}

TEST(ReaderTest, BudgetIsSharedWithChildReaders) {
  Writer w;
  w.Message(1, "\x08\x01");
  Reader r(w.data());
  EXPECT_TRUE(r.Charge(1'000'000));  // no budget: unlimited
  int64_t budget = 100;
  r.set_budget(&budget);
  Field f;
  ASSERT_TRUE(r.Next(&f));
  auto child = r.Message(f);
  ASSERT_TRUE(child.ok());
  EXPECT_TRUE(child->Charge(60));
  EXPECT_TRUE(r.Charge(40));
  EXPECT_EQ(budget, 0);
  EXPECT_FALSE(child->Charge(1));
}

TEST(ReaderTest, WrongWireTypeIsRejectedByTypedAccessors) {
  Field f;
  f.number = 7;
  f.type = WireType::kVarint;
  auto d = f.Double();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "field 7 has wire type varint, expected fixed64");
  EXPECT_FALSE(f.Bytes().ok());
  EXPECT_FALSE(f.Fixed32().ok());
  f.type = WireType::kLengthDelimited;
  EXPECT_FALSE(f.Uint64().ok());
  EXPECT_FALSE(Reader("").Message(Field{}).ok());
}

TEST(ReaderTest, RepeatedScalarsPackedAndUnpacked) {
  Writer w;
  std::vector<uint64_t> fixed = {1, 2, 3};
  w.PackedFixed64(6, fixed);
  w.Fixed64(6, 4);
  std::vector<uint64_t> vars = {0, 300, ~0ull};
  w.PackedVarint(2, vars);
  w.Uint64(2, 7);
  std::vector<double> dbl = {0.5, -1};
  w.PackedDouble(7, dbl);
  w.Double(7, 8);

  std::vector<uint64_t> got_fixed, got_vars;
  std::vector<double> got_dbl;
  Reader r(w.data());
  Field f;
  while (r.Next(&f)) {
    Status st;
    if (f.number == 6) st = AppendFixed64s(f, &got_fixed);
    if (f.number == 2) st = AppendVarints(f, &got_vars);
    if (f.number == 7) st = AppendDoubles(f, &got_dbl);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  ASSERT_TRUE(r.status().ok());
  EXPECT_EQ(got_fixed, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(got_vars, (std::vector<uint64_t>{0, 300, ~0ull, 7}));
  EXPECT_EQ(got_dbl, (std::vector<double>{0.5, -1, 8}));
}

TEST(ReaderTest, MalformedPackedFieldsAreRejected) {
  std::vector<uint64_t> out;
  Field f;
  f.number = 6;
  f.type = WireType::kLengthDelimited;
  f.bytes = "1234567";  // 7 bytes: not a multiple of 8
  Status st = AppendFixed64s(f, &out);
  EXPECT_NE(st.message().find("not a multiple of 8"), std::string_view::npos);
  const std::string truncated = "\x01\x80"s;  // second varint truncated
  f.bytes = truncated;
  st = AppendVarints(f, &out);
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("packed field 6"), std::string_view::npos);
  f.type = WireType::kFixed32;
  EXPECT_FALSE(AppendVarints(f, &out).ok());
  std::vector<double> dbl;
  EXPECT_FALSE(AppendDoubles(f, &dbl).ok());
}

}  // namespace
}  // namespace quartet::protobuf
