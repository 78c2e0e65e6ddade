#include "wire/prometheus/remote_write.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "tests/support/fixtures.h"
#include "wire/compress/snappy.h"
#include "wire/prometheus/remote_write_body.h"
#include "wire/prometheus/remote_write_view_decode.h"
#include "wire/protobuf/writer.h"

namespace quartet::prometheus::rw {
namespace {

TimeSeries Series(std::vector<Label> labels, std::vector<Sample> samples = {{1.5, 1000}}) {
  TimeSeries ts;
  ts.labels = std::move(labels);
  ts.samples = std::move(samples);
  return ts;
}

WriteRequest OneSeries(std::vector<Label> labels) {
  WriteRequest req;
  req.timeseries.push_back(Series(std::move(labels)));
  return req;
}

TEST(RemoteWriteTest, RoundTripsSeriesExemplarsAndMetadata) {
  WriteRequest in;
  TimeSeries ts =
      Series({{"__name__", "http_requests_total"}, {"job", "api"}},
             {{0, 0}, {-0.0, -5}, {3.25, 1700000000123}, {StaleMarker(), 1700000015000}});
  ts.exemplars.push_back({{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}}, 1, 1700000000123});
  in.timeseries.push_back(ts);
  in.metadata.push_back({MetadataType::kCounter, "http_requests", "Requests \"served\".", ""});
  in.metadata.push_back({MetadataType::kHistogram, "latency_seconds", "", "seconds"});

  Result<WriteRequest> out = DecodeWriteRequest(EncodeWriteRequest(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->timeseries.size(), 1u);
  const TimeSeries& got = out->timeseries[0];
  ASSERT_EQ(got.labels.size(), 2u);
  EXPECT_EQ(got.labels[0].value, "http_requests_total");
  EXPECT_EQ(got.labels[1].name, "job");
  ASSERT_EQ(got.samples.size(), 4u);
  EXPECT_EQ(got.samples[0].value, 0);
  EXPECT_TRUE(std::signbit(got.samples[1].value));  // -0.0 is not omitted
  EXPECT_EQ(got.samples[1].timestamp_ms, -5);
  EXPECT_EQ(got.samples[2].value, 3.25);
  EXPECT_EQ(got.samples[2].timestamp_ms, 1700000000123);
  EXPECT_TRUE(IsStaleMarker(got.samples[3].value));
  ASSERT_EQ(got.exemplars.size(), 1u);
  EXPECT_EQ(got.exemplars[0].labels[0].value, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(got.exemplars[0].timestamp_ms, 1700000000123);
  ASSERT_EQ(out->metadata.size(), 2u);
  EXPECT_EQ(out->metadata[0].type, MetadataType::kCounter);
  EXPECT_EQ(out->metadata[0].help, "Requests \"served\".");
  EXPECT_EQ(out->metadata[1].unit, "seconds");
  EXPECT_EQ(MetadataTypeName(out->metadata[1].type), "histogram");
}

TEST(RemoteWriteTest, NormalizesLabelsLikeTheReceiver) {
  Result<WriteRequest> out = DecodeWriteRequest(EncodeWriteRequest(
      OneSeries({{"zone", "b"}, {"empty", ""}, {"__name__", "up"}, {"instance", "h:1"}})));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(FormatLabels(out->timeseries[0].labels),
            R"({__name__="up", instance="h:1", zone="b"})");
}

TEST(RemoteWriteTest, RefusesInvalidSeriesNamingThem) {
  struct Case {
    std::vector<Label> labels;
    std::string message;  // exact
  };
  const Case cases[] = {
      {{{"job", "x"}}, R"(timeseries 1 {job="x"}: missing metric name (__name__ label))"},
      {{{"__name__", "up"}, {"job", "a"}, {"job", "b"}},
       R"(timeseries 1 {__name__="up", job="a", job="b"}: duplicate label name "job")"},
      {{{"__name__", "up"}, {"1job", "a"}},
       R"(timeseries 1 {1job="a", __name__="up"}: invalid label name "1job")"},
      {{{"__name__", "up"}, {"a:b", "a"}},
       R"(timeseries 1 {__name__="up", a:b="a"}: invalid label name "a:b")"},
      {{{"__name__", "http.requests"}},
       R"(timeseries 1 {__name__="http.requests"}: invalid metric name "http.requests")"},
      {{{"__name__", "1up"}}, R"(timeseries 1 {__name__="1up"}: invalid metric name "1up")"},
      {{{"__name__", "up"}, {"v", "\xff"}},
       "timeseries 1 {__name__=\"up\", v=\"\xff\"}: label v has a value that is not valid UTF-8"},
      {{{"__name__", ""}}, R"(timeseries 1 {}: missing metric name (__name__ label))"},
  };
  for (const Case& c : cases) {
    WriteRequest req = OneSeries({{"__name__", "ok:metric"}});
    req.timeseries.push_back(Series(c.labels));
    Result<WriteRequest> out = DecodeWriteRequest(EncodeWriteRequest(req));
    ASSERT_FALSE(out.ok()) << c.message;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(out.status().message(), c.message);
  }
}

TEST(RemoteWriteTest, DropsInvalidExemplarsAndCountsHistogramsWithoutFailing) {
  protobuf::Writer w;
  auto ts = w.BeginMessage(1);
  auto l = w.BeginMessage(1);
  w.String(1, "__name__");
  w.String(2, "latency_seconds");
  w.EndMessage(l);
  auto h = w.BeginMessage(4);  // a native histogram: count 7
  w.Uint64(1, 7);
  w.EndMessage(h);
  w.EndMessage(ts);
  WriteRequest req = OneSeries({{"__name__", "up"}});
  req.timeseries[0].exemplars.push_back({{{"trace id", "x"}}, 1, 5});
  req.timeseries[0].exemplars.push_back({{{"trace_id", "ok"}}, 2, 6});
  std::string bytes = EncodeWriteRequest(req) + std::string(w.data());

  Result<WriteRequest> out = DecodeWriteRequest(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->timeseries.size(), 2u);
  EXPECT_EQ(out->native_histograms, 1u);
  EXPECT_EQ(out->timeseries[1].histograms, 1u);
  EXPECT_TRUE(out->timeseries[1].samples.empty());
  EXPECT_EQ(out->dropped_exemplars, 1u);
  EXPECT_EQ(out->first_exemplar_error,
            R"(invalid exemplar label name "trace id" in an exemplar of {__name__="up"})");
  ASSERT_EQ(out->timeseries[0].exemplars.size(), 1u);
  EXPECT_EQ(out->timeseries[0].exemplars[0].value, 2);
}

TEST(RemoteWriteTest, SkipsUnknownFieldsAndOutOfRangeEnums) {
  protobuf::Writer w;
  w.Uint64(99, 1);  // unknown top-level field
  auto md = w.BeginMessage(3);
  w.Enum(1, 42);
  w.String(2, "x");
  w.String(3, "unknown field 3");
  w.EndMessage(md);
  Result<WriteRequest> out = DecodeWriteRequest(w.data());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->metadata.size(), 1u);
  EXPECT_EQ(out->metadata[0].type, MetadataType::kUnknown);
  EXPECT_EQ(out->metadata[0].metric_family_name, "x");
}

TEST(RemoteWriteTest, MalformedProtobufIsAPreciseError) {
  std::string good = EncodeWriteRequest(OneSeries({{"__name__", "up"}}));
  Result<WriteRequest> out = DecodeWriteRequest(good.substr(0, good.size() - 3));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("remote_write"), std::string::npos)
      << out.status().ToString();
  // A sample value sent as a varint has the wrong wire type.
  protobuf::Writer w;
  auto ts = w.BeginMessage(1);
  auto s = w.BeginMessage(2);
  w.Uint64(1, 5);
  w.EndMessage(s);
  w.EndMessage(ts);
  out = DecodeWriteRequest(w.data());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
  EXPECT_NE(out.status().message().find("timeseries 0"), std::string::npos)
      << out.status().ToString();
}

TEST(RemoteWriteTest, HostileInputCannotAllocateFarBeyondItsSize) {
  // 200k empty Label messages: 2 bytes each on the wire, 64+ bytes decoded.
  protobuf::Writer w;
  auto ts = w.BeginMessage(1);
  for (int i = 0; i < 200000; ++i) w.Bytes(1, std::string_view());
  w.EndMessage(ts);
  Result<WriteRequest> out = DecodeWriteRequest(w.data());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted) << out.status().ToString();
  // The same count of 2-byte empty samples (16 bytes each) fits the budget.
  protobuf::Writer samples;
  auto ts2 = samples.BeginMessage(1);
  auto l = samples.BeginMessage(1);
  samples.String(1, "__name__");
  samples.String(2, "up");
  samples.EndMessage(l);
  for (int i = 0; i < 200000; ++i) samples.Bytes(2, std::string_view());
  samples.EndMessage(ts2);
  out = DecodeWriteRequest(samples.data());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->timeseries[0].samples.size(), 200000u);
}

TEST(RemoteWriteTest, ViewsPointIntoTheInputAndAViewIsReusable) {
  WriteRequest req = OneSeries({{"zone", "b"}, {"__name__", "up"}, {"empty", ""}});
  req.timeseries.push_back(Series({{"__name__", "down"}}, {{1, 2}, {3, 4}}));
  req.timeseries[1].exemplars.push_back({{{"trace_id", "t1"}}, 5, 6});
  req.metadata.push_back({MetadataType::kGauge, "up", "help", ""});
  const std::string bytes = EncodeWriteRequest(req);
  WriteRequestView view;
  for (int round = 0; round < 2; ++round) {  // the second decode reuses the arrays
    ASSERT_TRUE(DecodeWriteRequestView(bytes, &view).ok());
    ASSERT_EQ(view.series.size(), 2u);
    EXPECT_EQ(FormatLabels(view.LabelsOf(view.series[0])), R"({__name__="up", zone="b"})");
    EXPECT_EQ(FormatLabels(view.LabelsOf(view.series[1])), R"({__name__="down"})");
    ASSERT_EQ(view.SamplesOf(view.series[1]).size(), 2u);
    EXPECT_EQ(view.SamplesOf(view.series[1])[1].value, 3);  // {value, timestamp}
    ASSERT_EQ(view.ExemplarsOf(view.series[0]).size(), 0u);
    ASSERT_EQ(view.ExemplarsOf(view.series[1]).size(), 1u);
    EXPECT_EQ(view.LabelsOf(view.ExemplarsOf(view.series[1])[0])[0].value, "t1");
    const std::string_view name = view.LabelsOf(view.series[1])[0].value;
    EXPECT_GE(name.data(), bytes.data());  // a view, not a copy
    EXPECT_LT(name.data(), bytes.data() + bytes.size());
    ASSERT_EQ(view.metadata.size(), 1u);
    EXPECT_EQ(view.metadata[0].help, "help");
  }
  // The owned form of the view is what DecodeWriteRequest returns.
  Result<WriteRequest> owned = DecodeWriteRequest(bytes);
  ASSERT_TRUE(owned.ok());
  EXPECT_EQ(EncodeWriteRequest(ToWriteRequest(view)), EncodeWriteRequest(*owned));
  // An error leaves the view reusable.
  EXPECT_FALSE(DecodeWriteRequestView(bytes.substr(0, bytes.size() - 2), &view).ok());
  ASSERT_TRUE(DecodeWriteRequestView(bytes, &view).ok());
  EXPECT_EQ(view.series.size(), 2u);
}

// A receiver's own label struct (as quartetd's store::LabelRef): the
// generic decoder gives it the same labels, order and errors as LabelView.
struct OtherLabel {
  std::string_view name;
  std::string_view value;
};

TEST(RemoteWriteTest, DecodesIntoAnotherLabelStructLikeTheView) {
  struct Case {
    std::vector<Label> labels;
    bool ok;
  };
  const Case cases[] = {
      {{{"zone", "b"}, {"empty", ""}, {"__name__", "up"}, {"instance", "h:1"}}, true},
      {{{"__name__", "up"}, {"job", "a"}, {"job", "b"}}, false},
      {{{"__name__", "up"}, {"v", "\xff"}}, false},
      {{{"job", "x"}}, false},
  };
  for (const Case& c : cases) {
    WriteRequest req = OneSeries({{"__name__", "first"}, {"a", "1"}});
    req.timeseries.push_back(Series(c.labels, {{1, 2}, {3, 4}}));
    const std::string bytes = EncodeWriteRequest(req);
    WriteRequestView view;
    BasicWriteRequestView<OtherLabel> other;
    const Status a = DecodeWriteRequestView(bytes, &view);
    const Status b = DecodeWriteRequestInto(bytes, &other);
    ASSERT_EQ(a.ok(), c.ok) << a.ToString();
    EXPECT_EQ(a.ToString(), b.ToString());
    if (!c.ok) continue;
    ASSERT_EQ(view.series.size(), other.series.size());
    for (size_t i = 0; i < view.series.size(); ++i) {
      const auto x = view.LabelsOf(view.series[i]);
      const auto y = other.LabelsOf(other.series[i]);
      ASSERT_EQ(x.size(), y.size());
      for (size_t j = 0; j < x.size(); ++j) {
        EXPECT_EQ(x[j].name, y[j].name);
        EXPECT_EQ(x[j].value.data(), y[j].value.data());  // both borrow the input
      }
      EXPECT_EQ(view.SamplesOf(view.series[i]).size(), other.SamplesOf(other.series[i]).size());
    }
  }
}

TEST(RemoteWriteTest, ReservationsStayWithinTheBudget) {
  // 300k empty series (2 bytes each): reserving 8 labels for each would be
  // 77 MB; the decoder reserves (before it reads any series) within what
  // the budget can charge.
  protobuf::Writer w;
  for (int i = 0; i < 300000; ++i) w.Bytes(1, std::string_view());
  WriteRequestView view;
  const Status st = DecodeWriteRequestView(w.data(), &view);
  const size_t budget = DecodeLimits{}.budget_base + DecodeLimits{}.budget_factor * w.data().size();
  EXPECT_LE(view.labels.capacity() * sizeof(LabelView), 2 * budget);
  EXPECT_LE(view.series.capacity(), budget / sizeof(TimeSeries) + 1);
  // The first series has no metric name.
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
}

TEST(RemoteWriteTest, UnusualFieldOrderAndLongFieldsDecodeLikeTheCommonEncoding) {
  const std::string long_value(300, 'v');  // a two-byte length
  const WriteRequest want = OneSeries({{"__name__", "up"}, {"long", long_value}});
  protobuf::Writer w;
  auto ts = w.BeginMessage(1);
  auto l1 = w.BeginMessage(1);  // value before name, name twice (the last wins)
  w.String(2, "up");
  w.String(1, "x");
  w.String(1, "__name__");
  w.EndMessage(l1);
  auto l2 = w.BeginMessage(1);
  w.String(1, "long");
  w.String(2, long_value);
  w.EndMessage(l2);
  auto s = w.BeginMessage(2);  // timestamp before value
  w.Int64(2, 1000);
  w.Double(1, 1.5);
  w.EndMessage(s);
  w.EndMessage(ts);
  Result<WriteRequest> got = DecodeWriteRequest(w.data());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(EncodeWriteRequest(*got), EncodeWriteRequest(want));
  // A timestamp varint longer than 10 bytes is refused as before.
  protobuf::Writer bad;
  auto ts2 = bad.BeginMessage(1);
  bad.Bytes(2, std::string("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11));
  bad.EndMessage(ts2);
  EXPECT_FALSE(DecodeWriteRequest(bad.data()).ok());
}

TEST(RemoteWriteTest, NameValidators) {
  EXPECT_TRUE(IsValidMetricName("a:b_c9"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_FALSE(IsValidMetricName("9x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName(":x"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST(RemoteWriteBodyTest, HeadersAreNegotiatedLikePrometheus) {
  struct Case {
    std::string_view type, encoding;
    bool ok;
  };
  const Case cases[] = {
      {"application/x-protobuf", "snappy", true},
      {"", "", true},
      {"application/x-protobuf;proto=prometheus.WriteRequest", "SNAPPY", true},
      {"application/x-protobuf; proto=io.prometheus.write.v2.Request", "snappy", false},
      {"application/json", "snappy", false},
      {"application/x-protobuf", "gzip", false},
  };
  for (const Case& c : cases) {
    Status st = CheckRemoteWriteHeaders(c.type, c.encoding);
    EXPECT_EQ(st.ok(), c.ok) << c.type << " / " << c.encoding << ": " << st.ToString();
    if (!c.ok) {
      EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    }
  }
}

TEST(RemoteWriteBodyTest, SizeLimitIsCheckedBeforeDecompressing) {
  WriteRequest req = OneSeries({{"__name__", "up"}});
  std::string body = EncodeRemoteWriteBody(req);
  Result<WriteRequest> out = DecodeRemoteWriteBody("application/x-protobuf", "snappy", body);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->timeseries.size(), 1u);
  out = DecodeRemoteWriteBody("application/x-protobuf", "snappy", body, 4);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
  // A 5-byte body claiming 2 GiB is refused without allocating it.
  out = DecodeRemoteWriteBody("application/x-protobuf", "snappy", "\x80\x80\x80\x80\x08");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted) << out.status().ToString();
  out = DecodeRemoteWriteBody("application/x-protobuf", "snappy", "\x0a\x01\x02");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDataLoss) << out.status().ToString();
}

// Every capture of Prometheus 2.42's remote_write decodes, and the two kinds
// of request it sends (metadata-only, samples with exemplars) read as sent.
TEST(RemoteWriteBodyTest, DecodesEveryRealPrometheusCapture) {
  std::string dir = testing::FixturePath("rw");
  int decoded = 0;
  size_t metadata = 0, exemplars = 0, samples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".bin") continue;
    std::string body = testing::ReadFixture("rw/" + entry.path().filename().string());
    Result<WriteRequest> out = DecodeRemoteWriteBody("application/x-protobuf", "snappy", body);
    ASSERT_TRUE(out.ok()) << entry.path() << ": " << out.status().ToString();
    ++decoded;
    metadata += out->metadata.size();
    for (const TimeSeries& ts : out->timeseries) {
      exemplars += ts.exemplars.size();
      samples += ts.samples.size();
      EXPECT_EQ(ts.labels[0].name, "__name__");
    }
  }
  EXPECT_GE(decoded, 60);
  EXPECT_GT(metadata, 0u);
  EXPECT_GT(exemplars, 0u);
  EXPECT_GT(samples, 0u);

  Result<WriteRequest> md =
      DecodeRemoteWriteBody("", "snappy", testing::ReadFixture("rw/0001.bin"));
  ASSERT_TRUE(md.ok());
  EXPECT_TRUE(md->timeseries.empty());
  ASSERT_EQ(md->metadata.size(), 5u);
  EXPECT_EQ(md->metadata[0].type, MetadataType::kCounter);
  EXPECT_EQ(md->metadata[0].metric_family_name, "lab_requests_total");
  EXPECT_EQ(md->metadata[0].help, "Requests served.");
  EXPECT_EQ(md->metadata[3].type, MetadataType::kUnknown);
  EXPECT_EQ(md->metadata[3].unit, "seconds");
  EXPECT_EQ(md->metadata[4].type, MetadataType::kHistogram);

  Result<WriteRequest> data =
      DecodeRemoteWriteBody("", "snappy", testing::ReadFixture("rw/0002.bin"));
  ASSERT_TRUE(data.ok());
  ASSERT_EQ(data->timeseries.size(), 22u);
  EXPECT_EQ(FormatLabels(data->timeseries[0].labels),
            R"({__name__="lab_requests_total", instance="127.0.0.1:9464", job="txt", route="/a"})");
  EXPECT_EQ(data->timeseries[0].samples[0].value, 17);
  EXPECT_EQ(data->timeseries[0].samples[0].timestamp_ms, 1795479975028);
  bool found = false;
  for (const TimeSeries& ts : data->timeseries) {
    for (const Exemplar& e : ts.exemplars) {
      if (e.labels[0].value == "4bf92f3577b34da6a3ce929d0e0e4736") {
        found = true;
        EXPECT_EQ(e.value, 1);
        EXPECT_EQ(e.timestamp_ms, 1700000000123);
        EXPECT_TRUE(ts.samples.empty());  // an exemplar-only series
      }
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace quartet::prometheus::rw
