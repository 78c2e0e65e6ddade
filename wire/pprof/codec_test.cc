#include <gtest/gtest.h>

#include <string>

#include "wire/compress/gzip.h"
#include "wire/pprof/builder.h"
#include "wire/pprof/profile.h"
#include "wire/protobuf/writer.h"

namespace quartet::pprof {
namespace {

Profile Sample3() {
  ProfileBuilder b;
  b.AddSampleType("samples", "count");
  b.AddSampleType("cpu", "nanoseconds");
  b.SetPeriod("cpu", "nanoseconds", 10000000);
  b.SetDefaultSampleType("cpu");
  b.SetTime(1700000000123456789, 10000000000);
  b.AddComment("made by a test");
  b.SetDropFrames("^runtime\\.");
  uint64_t map = b.Mapping(0x400000, 0x500000, 0x1000, "/bin/app", "abcdef", true);
  uint64_t f1 = b.Function("ns::Hot(int)", "_ZN2ns3HotEi", "/bin/app", 12);
  uint64_t f2 = b.Function("main", "main", "/bin/app");
  uint64_t l1 = b.LocationForAddress(0x401000, map, f1, 40);
  uint64_t l2 = b.LocationForAddress(0x402000, map, f2);
  uint64_t l3 = b.LocationForAddress(0x7f0000001234, 0, 0);  // unknown frame
  b.AddSample({l1, l2}, {3, 30000000}, {{"span_id", "00f067aa0ba902b7"}, {"span_name", "GET /"}});
  b.AddSample({l3, l2}, {1, 10000000}, {{"bytes", "", 512, "bytes"}});
  b.AddSample({l2}, {1, -5});
  return b.Release();
}

TEST(PprofCodec, RoundTripKeepsEveryField) {
  Profile p = Sample3();
  std::string bytes = Encode(p);
  auto d = Decode(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->string_table, p.string_table);
  ASSERT_EQ(d->sample.size(), 3u);
  EXPECT_EQ(d->sample[0].location_id, p.sample[0].location_id);
  EXPECT_EQ(d->sample[0].value, (std::vector<int64_t>{3, 30000000}));
  EXPECT_EQ(d->sample[2].value, (std::vector<int64_t>{1, -5}));
  ASSERT_EQ(d->sample[0].label.size(), 2u);
  EXPECT_EQ(d->StringAt(d->sample[0].label[1].key), "span_name");
  EXPECT_EQ(d->StringAt(d->sample[0].label[1].str), "GET /");
  EXPECT_EQ(d->sample[1].label[0].num, 512);
  EXPECT_EQ(d->StringAt(d->sample[1].label[0].num_unit), "bytes");
  ASSERT_EQ(d->mapping.size(), 1u);
  EXPECT_EQ(d->mapping[0].memory_start, 0x400000u);
  EXPECT_EQ(d->mapping[0].memory_limit, 0x500000u);
  EXPECT_EQ(d->mapping[0].file_offset, 0x1000u);
  EXPECT_EQ(d->StringAt(d->mapping[0].build_id), "abcdef");
  EXPECT_TRUE(d->mapping[0].has_functions);
  ASSERT_EQ(d->location.size(), 3u);
  EXPECT_EQ(d->location[0].line[0].line, 40);
  EXPECT_EQ(d->location[2].address, 0x7f0000001234u);
  EXPECT_TRUE(d->location[2].line.empty());
  EXPECT_EQ(d->location[2].mapping_id, 0u);
  ASSERT_EQ(d->function.size(), 2u);
  EXPECT_EQ(d->StringAt(d->function[0].name), "ns::Hot(int)");
  EXPECT_EQ(d->StringAt(d->function[0].system_name), "_ZN2ns3HotEi");
  EXPECT_EQ(d->function[0].start_line, 12);
  EXPECT_EQ(d->time_nanos, 1700000000123456789);
  EXPECT_EQ(d->duration_nanos, 10000000000);
  EXPECT_EQ(d->period, 10000000);
  EXPECT_EQ(d->StringAt(d->period_type.type), "cpu");
  EXPECT_EQ(d->StringAt(d->default_sample_type), "cpu");
  EXPECT_EQ(d->StringAt(d->drop_frames), "^runtime\\.");
  ASSERT_EQ(d->comment.size(), 1u);
  EXPECT_EQ(d->StringAt(d->comment[0]), "made by a test");
  EXPECT_EQ(Encode(*d), bytes);  // canonical: re-encoding is byte-identical
}

TEST(PprofCodec, GzipRoundTripAndRawFallback) {
  Profile p = Sample3();
  auto gz = EncodeGzip(p);
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(static_cast<uint8_t>((*gz)[0]), 0x1f);
  auto d = DecodeMaybeGzip(*gz);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->sample.size(), 3u);
  auto raw = DecodeMaybeGzip(Encode(p));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->string_table, p.string_table);
  DecodeLimits tight;
  tight.max_uncompressed = 10;
  auto bomb = DecodeMaybeGzip(*gz, tight);
  EXPECT_EQ(bomb.status().code(), StatusCode::kResourceExhausted);
}

TEST(PprofCodec, UnpackedRepeatedScalarsAreAccepted) {
  // Older encoders (and proto2) send one field per value.
  protobuf::Writer w;
  auto st = w.BeginMessage(1);
  w.Int64(1, 1);
  w.Int64(2, 2);
  w.EndMessage(st);
  auto s = w.BeginMessage(2);
  w.Varint(1, 7);
  w.Varint(1, 7);
  w.Varint(2, 42);
  w.EndMessage(s);
  auto l = w.BeginMessage(4);
  w.Varint(1, 7);
  w.Varint(3, 0x1234);
  w.EndMessage(l);
  w.String(6, "");
  w.String(6, "samples");
  w.String(6, "count");
  auto d = Decode(w.data());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->sample[0].location_id, (std::vector<uint64_t>{7, 7}));
  EXPECT_EQ(d->sample[0].value, (std::vector<int64_t>{42}));
}

// Each case corrupts a valid profile one way; the error names where.
TEST(PprofCodec, InconsistentProfilesGetPreciseErrors) {
  struct Case {
    const char* name;
    void (*mutate)(Profile*);
    const char* want;
  };
  const Case cases[] = {
      {"label key past table", [](Profile* p) { p->sample[0].label[0].key = 900; },
       "sample 0: label 0: key: string index 900 outside string_table"},
      {"negative string index", [](Profile* p) { p->function[1].name = -3; },
       "function 1: name: string index -3 outside string_table"},
      {"string 0 not empty", [](Profile* p) { p->string_table[0] = "x"; },
       "string_table: entry 0 must be the empty string"},
      {"too few values", [](Profile* p) { p->sample[1].value.pop_back(); },
       "sample 1: 1 values for 2 sample types"},
      {"dangling location", [](Profile* p) { p->sample[2].location_id[0] = 77; },
       "sample 2: location_id 77 names no location"},
      {"dangling function", [](Profile* p) { p->location[0].line[0].function_id = 9; },
       "location 0: line 0: function_id 9 names no function"},
      {"dangling mapping", [](Profile* p) { p->location[1].mapping_id = 5; },
       "location 1: mapping_id 5 names no mapping"},
      {"duplicate id", [](Profile* p) { p->function[1].id = p->function[0].id; },
       "function 1: duplicate id 1"},
      {"bad period type", [](Profile* p) { p->period_type.unit = 1000; },
       "period_type: unit: string index 1000"},
      {"comment", [](Profile* p) { p->comment[0] = 55; }, "comment 0: string index 55"},
      {"mapping range", [](Profile* p) { p->mapping[0].memory_limit = 1; },
       "mapping 0: memory_limit below memory_start"},
  };
  for (const Case& c : cases) {
    Profile p = Sample3();
    c.mutate(&p);
    auto d = Decode(Encode(p));
    ASSERT_FALSE(d.ok()) << c.name;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(d.status().message().find(c.want), std::string_view::npos)
        << c.name << ": " << d.status().ToString();
  }
}

TEST(PprofCodec, MalformedWireIsRefused) {
  std::string good = Encode(Sample3());
  for (size_t cut : {size_t{1}, good.size() / 2, good.size() - 1}) {
    auto d = Decode(std::string_view(good).substr(0, cut));
    EXPECT_FALSE(d.ok()) << cut;
  }
  // A sample whose location_id field is a string.
  protobuf::Writer w;
  auto s = w.BeginMessage(2);
  w.Fixed32(1, 3);
  w.EndMessage(s);
  w.String(6, "");
  auto d = Decode(w.data());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("sample 0"), std::string_view::npos) << d.status().ToString();
  EXPECT_TRUE(Decode("").status().message().find("entry 0") != std::string_view::npos);
}

TEST(PprofCodec, AllocationIsBoundedByInputSize) {
  // 200k empty samples: 2 bytes each on the wire, ~80 bytes each decoded.
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes += std::string("\x12\x00", 2);
  bytes += std::string("\x32\x00", 2);
  DecodeLimits limits;
  limits.budget_base = 0;
  limits.budget_per_input_byte = 16;
  auto d = Decode(bytes, limits);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kResourceExhausted) << d.status().ToString();
  // The default limits decode an honest profile of the same size.
  EXPECT_TRUE(Decode(Encode(Sample3())).ok());
}

}  // namespace
}  // namespace quartet::pprof
