// Decoder behaviour on hand-built inputs: what a conforming sender may do
// (omit or write zeros, pack or not, add unknown fields) and what it must
// not (wrong id lengths, wrong wire types, truncation), with the exact
// field-path error messages.
#include "wire/otlp/decode.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "wire/protobuf/writer.h"

namespace quartet::otlp {
namespace {

using protobuf::Writer;

// request{resource_spans{scope_spans{spans{<span>}}}} around a span body.
std::string TraceRequestWithSpan(const std::function<void(Writer&)>& span_body, int scope_index = 0,
                                 int span_index = 0) {
  Writer w;
  auto rs = w.BeginMessage(1);
  for (int s = 0; s <= scope_index; ++s) {
    auto ss = w.BeginMessage(2);
    for (int i = 0; i <= (s == scope_index ? span_index : 0); ++i) {
      auto sp = w.BeginMessage(2);
      if (s == scope_index && i == span_index) {
        span_body(w);
      } else {
        w.Bytes(1, std::string(16, '\x01'));
        w.Bytes(2, std::string(8, '\x02'));
      }
      w.EndMessage(sp);
    }
    w.EndMessage(ss);
  }
  w.EndMessage(rs);
  return w.Release();
}

void ValidIds(Writer& w) {
  w.Bytes(1, std::string(16, '\x11'));
  w.Bytes(2, std::string(8, '\x22'));
}

TEST(DecodeTracesTest, ErrorsNameTheFieldPath) {
  struct Case {
    const char* name;
    std::function<void(Writer&)> body;
    int scope_index, span_index;
    const char* message;
  };
  const Case cases[] = {
      {"short trace id",
       [](Writer& w) {
         w.Bytes(1, std::string(15, 'x'));
         w.Bytes(2, std::string(8, 'y'));
       },
       1, 3, "resource_spans[0].scope_spans[1].spans[3].trace_id: must be 16 bytes, got 15"},
      {"missing trace id", [](Writer& w) { w.Bytes(2, std::string(8, 'y')); }, 0, 0,
       "resource_spans[0].scope_spans[0].spans[0].trace_id: must be 16 bytes, got 0"},
      {"missing span id", [](Writer& w) { w.Bytes(1, std::string(16, 'x')); }, 0, 0,
       "resource_spans[0].scope_spans[0].spans[0].span_id: must be 8 bytes, got 0"},
      {"long parent id",
       [](Writer& w) {
         ValidIds(w);
         w.Bytes(4, std::string(9, 'p'));
       },
       0, 0, "resource_spans[0].scope_spans[0].spans[0].parent_span_id: must be 8 bytes, got 9"},
      {"start time as varint",
       [](Writer& w) {
         ValidIds(w);
         w.Uint64(7, 5);
       },
       0, 1,
       "resource_spans[0].scope_spans[0].spans[1].start_time_unix_nano: field 7 has wire type "
       "varint, expected fixed64"},
      {"name as fixed32",
       [](Writer& w) {
         ValidIds(w);
         w.Fixed32(5, 1);
       },
       0, 0,
       "resource_spans[0].scope_spans[0].spans[0].name: field 5 has wire type fixed32, expected "
       "length-delimited"},
      {"attribute value wrong type",
       [](Writer& w) {
         ValidIds(w);
         auto kv = w.BeginMessage(9);
         w.String(1, "k");
         auto v = w.BeginMessage(2);
         w.Fixed64(3, 1);  // int_value must be a varint
         w.EndMessage(v);
         w.EndMessage(kv);
       },
       0, 0,
       "resource_spans[0].scope_spans[0].spans[0].attributes[0].value.int_value: field 3 has "
       "wire type fixed64, expected varint"},
      {"bad link trace id",
       [](Writer& w) {
         ValidIds(w);
         auto l = w.BeginMessage(13);
         w.EndMessage(l);
         l = w.BeginMessage(13);
         w.Bytes(1, "abc");
         w.EndMessage(l);
       },
       0, 0,
       "resource_spans[0].scope_spans[0].spans[0].links[0].trace_id: must be 16 bytes, got 0"},
      {"event with truncated body",
       [](Writer& w) {
         ValidIds(w);
         w.Bytes(11, "\x09\x01\x02");  // time_unix_nano fixed64 cut short
       },
       0, 0,
       "resource_spans[0].scope_spans[0].spans[0].events[0]: at offset 0: truncated fixed64 "
       "field 1"},
      {"status not a message",
       [](Writer& w) {
         ValidIds(w);
         w.Uint32(15, 2);
       },
       0, 0,
       "resource_spans[0].scope_spans[0].spans[0].status: field 15 has wire type varint, "
       "expected length-delimited"},
  };
  for (const Case& c : cases) {
    auto r = DecodeTraces(TraceRequestWithSpan(c.body, c.scope_index, c.span_index));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().message(), c.message) << c.name;
  }
}

TEST(DecodeTracesTest, TopLevelMalformedInput) {
  struct Case {
    std::string in;
    StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"\x0a\x05\x12", StatusCode::kOutOfRange,
       "at offset 0: length 5 of field 1 exceeds the 1 bytes remaining"},
      {"\x0f", StatusCode::kInvalidArgument, "at offset 0: invalid wire type 7 for field 1"},
      {"\x0a\x02\x12\x05", StatusCode::kOutOfRange,
       "resource_spans[0]: at offset 0: length 5 of field 2 exceeds the 0 bytes remaining"},
      {"\x08\x01", StatusCode::kInvalidArgument,
       "resource_spans[0]: field 1 has wire type varint, expected length-delimited"},
  };
  for (const Case& c : cases) {
    auto r = DecodeTraces(c.in);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(DecodeTracesTest, EmptyInputIsAnEmptyRequest) {
  auto r = DecodeTraces("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->resource_spans.empty());
}

TEST(DecodeTracesTest, ZeroValuesWrittenOrOmittedDecodeTheSame) {
  std::string omitted = TraceRequestWithSpan([](Writer& w) { ValidIds(w); });
  std::string written = TraceRequestWithSpan([](Writer& w) {
    ValidIds(w);
    w.String(3, "");
    w.Bytes(4, "");  // empty parent: a root span
    w.String(5, "");
    w.Enum(6, 0);
    w.Fixed64(7, 0);
    w.Fixed64(8, 0);
    w.Uint32(10, 0);
    w.Uint32(12, 0);
    w.Uint32(14, 0);
    w.Message(15, std::string("\x18\x00", 2));
    w.Fixed32(16, 0);
  });
  auto a = DecodeTraces(omitted);
  auto b = DecodeTraces(written);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*a, *b);
}

TEST(DecodeTracesTest, UnknownFieldsOfEveryWireTypeAreSkipped) {
  auto r = DecodeTraces(TraceRequestWithSpan([](Writer& w) {
    ValidIds(w);
    w.Uint64(100, 7);
    w.Fixed64(101, 7);
    w.Fixed32(102, 7);
    w.String(103, "future");
    w.Raw("\xab\x06\x08\x01\xac\x06");  // group 101 {1: 1}
    w.String(5, "op");
  }));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->resource_spans[0].scope_spans[0].spans[0].name, "op");
}

TEST(DecodeTracesTest, AnyValueOneofLastMemberWinsAndNestingIsBounded) {
  auto r = DecodeTraces(TraceRequestWithSpan([](Writer& w) {
    ValidIds(w);
    auto kv = w.BeginMessage(9);
    w.String(1, "k");
    w.Message(2, std::string("\x0a\x01s\x18\x05", 5));  // string "s" then int 5
    w.EndMessage(kv);
  }));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->resource_spans[0].scope_spans[0].spans[0].attributes[0].value, AnyValue::Int(5));

  // An attribute whose value is an array nested 100 deep is refused, not
  // recursed into without bound.
  std::string value = "\x18\x01";  // int 1
  for (int i = 0; i < 100; ++i) {
    Writer arr;
    arr.Message(1, value);
    Writer any;
    any.Message(5, arr.data());
    value = any.Release();
  }
  auto deep = DecodeTraces(TraceRequestWithSpan([&](Writer& w) {
    ValidIds(w);
    auto kv = w.BeginMessage(9);
    w.Message(2, value);
    w.EndMessage(kv);
  }));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested deeper than 64"), std::string_view::npos)
      << deep.status().ToString();
}

TEST(DecodeLogsTest, OptionalIdsAndErrors) {
  auto make = [](std::string_view trace_id) {
    Writer w;
    auto rl = w.BeginMessage(1);
    auto sl = w.BeginMessage(2);
    auto lr = w.BeginMessage(2);
    w.Bytes(9, trace_id);
    w.String(12, "checkout.done");
    w.EndMessage(lr);
    w.EndMessage(sl);
    w.EndMessage(rl);
    return w.Release();
  };
  auto ok = DecodeLogs(make(""));
  ASSERT_TRUE(ok.ok());
  const LogRecord& l = ok->resource_logs[0].scope_logs[0].log_records[0];
  EXPECT_FALSE(l.trace_id.valid());
  EXPECT_EQ(l.event_name, "checkout.done");
  auto bad = DecodeLogs(make("12345678"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "resource_logs[0].scope_logs[0].log_records[0].trace_id: must be 16 bytes, got 8");
}

// A histogram point body inside request{resource_metrics{scope_metrics{metrics{histogram}}}}.
std::string HistogramRequest(const std::function<void(Writer&)>& point) {
  Writer w;
  auto rm = w.BeginMessage(1);
  auto sm = w.BeginMessage(2);
  auto m = w.BeginMessage(2);
  w.String(1, "latency");
  auto h = w.BeginMessage(9);
  auto p = w.BeginMessage(1);
  point(w);
  w.EndMessage(p);
  w.Enum(2, 1);
  w.EndMessage(h);
  w.EndMessage(m);
  w.EndMessage(sm);
  w.EndMessage(rm);
  return w.Release();
}

TEST(DecodeMetricsTest, PackedAndUnpackedBucketsDecodeTheSame) {
  auto packed = DecodeMetrics(HistogramRequest([](Writer& w) {
    std::vector<uint64_t> counts = {1, 2, 3};
    std::vector<double> bounds = {10, 20};
    w.PackedFixed64(6, counts);
    w.PackedDouble(7, bounds);
  }));
  auto unpacked = DecodeMetrics(HistogramRequest([](Writer& w) {
    w.Fixed64(6, 1);
    w.Double(7, 10);
    w.Fixed64(6, 2);
    w.Double(7, 20);
    w.Fixed64(6, 3);
  }));
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  ASSERT_TRUE(unpacked.ok()) << unpacked.status().ToString();
  EXPECT_EQ(*packed, *unpacked);
  const Metric& m = packed->resource_metrics[0].scope_metrics[0].metrics[0];
  EXPECT_EQ(m.type, Metric::Type::kHistogram);
  EXPECT_EQ(m.temporality, AggregationTemporality::kDelta);
  EXPECT_EQ(m.histogram_points[0].bucket_counts, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(m.histogram_points[0].explicit_bounds, (std::vector<double>{10, 20}));
  EXPECT_FALSE(m.histogram_points[0].sum.has_value());
}

TEST(DecodeMetricsTest, HistogramErrors) {
  struct Case {
    std::function<void(Writer&)> point;
    const char* message;
  };
  const Case cases[] = {
      {[](Writer& w) {
         std::vector<uint64_t> counts = {1, 2};
         std::vector<double> bounds = {10, 20};
         w.PackedFixed64(6, counts);
         w.PackedDouble(7, bounds);
       },
       "resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0].bucket_counts: "
       "2 buckets for 2 explicit_bounds, want 3"},
      {[](Writer& w) { w.Bytes(6, "1234567"); },
       "resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0].bucket_counts: "
       "packed fixed64 field 6 has length 7, not a multiple of 8"},
      {[](Writer& w) { w.Uint64(5, 3); },
       "resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0].sum: field 5 "
       "has wire type varint, expected fixed64"},
  };
  for (const Case& c : cases) {
    auto r = DecodeMetrics(HistogramRequest(c.point));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(DecodeMetricsTest, IntPointsExemplarsAndOneofSwitch) {
  Writer w;
  auto rm = w.BeginMessage(1);
  auto sm = w.BeginMessage(2);
  auto m = w.BeginMessage(2);
  w.String(1, "requests");
  w.Message(5, std::string("\x0a\x00", 2));  // a gauge first: replaced by the sum below
  auto sum = w.BeginMessage(7);
  auto p = w.BeginMessage(1);
  w.Sfixed64(6, -42);
  auto e = w.BeginMessage(5);
  w.Sfixed64(6, 9);
  w.Bytes(4, std::string(8, '\x05'));
  w.Bytes(5, std::string(16, '\x06'));
  w.EndMessage(e);
  w.EndMessage(p);
  w.Enum(2, 2);
  w.Bool(3, true);
  w.EndMessage(sum);
  w.EndMessage(m);
  w.EndMessage(sm);
  w.EndMessage(rm);
  auto r = DecodeMetrics(w.data());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Metric& metric = r->resource_metrics[0].scope_metrics[0].metrics[0];
  EXPECT_EQ(metric.type, Metric::Type::kSum);
  EXPECT_TRUE(metric.is_monotonic);
  EXPECT_EQ(metric.temporality, AggregationTemporality::kCumulative);
  ASSERT_EQ(metric.number_points.size(), 1u);
  EXPECT_EQ(metric.number_points[0].kind, NumberKind::kInt);
  EXPECT_EQ(metric.number_points[0].as_int, -42);
  ASSERT_EQ(metric.number_points[0].exemplars.size(), 1u);
  const Exemplar& ex = metric.number_points[0].exemplars[0];
  EXPECT_EQ(ex.kind, NumberKind::kInt);
  EXPECT_EQ(ex.as_int, 9);
  EXPECT_EQ(ex.span_id.bytes[0], 5);
  EXPECT_EQ(ex.trace_id.bytes[15], 6);
}

TEST(DecodeMetricsTest, EmptyMessageFloodHitsTheMemoryBudget) {
  // 200k empty Metric messages: 2 wire bytes each, ~230 bytes decoded each.
  std::string metrics;
  for (int i = 0; i < 200000; ++i) metrics += std::string("\x12\x00", 2);
  Writer w;
  auto rm = w.BeginMessage(1);
  w.Message(2, metrics);
  w.EndMessage(rm);
  auto r = DecodeMetrics(w.data());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "resource_metrics[0].scope_metrics[0]: decoded request needs more than 32 times its "
            "wire size in memory");

  // The same count of realistic points (name, time, value, attribute) fits.
  Writer ok;
  auto rm2 = ok.BeginMessage(1);
  auto sm2 = ok.BeginMessage(2);
  for (int i = 0; i < 20000; ++i) {
    auto m = ok.BeginMessage(2);
    ok.String(1, "http_requests_total");
    auto g = ok.BeginMessage(5);
    auto p = ok.BeginMessage(1);
    ok.Fixed64(3, 1700000000000000000ull);
    ok.Double(4, i);
    auto kv = ok.BeginMessage(7);
    ok.String(1, "route");
    ok.Message(2, "\x0a\x02/a");
    ok.EndMessage(kv);
    ok.EndMessage(p);
    ok.EndMessage(g);
    ok.EndMessage(m);
  }
  ok.EndMessage(sm2);
  ok.EndMessage(rm2);
  auto fine = DecodeMetrics(ok.data());
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(fine->resource_metrics[0].scope_metrics[0].metrics.size(), 20000u);
}

}  // namespace
}  // namespace quartet::otlp
