#include "server/ingest/pyroscope/pyroscope_ingest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "base/clock.h"
#include "server/store/profiles/profile_generator.h"
#include "server/store/profiles/profile_table.h"
#include "wire/compress/gzip.h"

namespace quartet::ingest {
namespace {

using server::HttpRequest;
using server::HttpResponse;
constexpr int64_t kSecond = 1'000'000'000;
const char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

HttpRequest Request(std::vector<std::pair<std::string, std::string>> params, std::string body,
                    std::string content_type = "application/octet-stream") {
  HttpRequest r;
  r.method = "POST";
  r.path = "/ingest";
  r.params = std::move(params);
  r.body = std::move(body);
  r.headers.emplace_back("content-type", std::move(content_type));
  return r;
}

std::string Multipart(const std::vector<std::pair<std::string, std::string>>& parts,
                      bool close = true) {
  std::string out;
  for (const auto& [name, body] : parts) {
    out += "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name +
           "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    out += body + "\r\n";
  }
  if (close) out += "--XyZ--\r\n";
  return out;
}

int64_t SumOf(const pprof::Profile& p, size_t type) {
  int64_t sum = 0;
  for (const pprof::Sample& s : p.sample) sum += type < s.value.size() ? s.value[type] : 0;
  return sum;
}

class PyroscopeIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pyroscope_ingest_test_" + std::to_string(std::random_device{}()));
    store::TableOptions o;
    o.dir = dir_.string();
    o.sync = store::SyncPolicy::kNever;
    table_ = std::move(*store::ProfileTable::Open(o, false));
    ingest_ =
        std::make_unique<PyroscopeIngest>(table_.get(), IngestLimits{.max_body_bytes = 1 << 20});
  }
  void TearDown() override {
    ingest_.reset();
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::pair<int64_t, int64_t> Count(std::string_view type, std::vector<store::LabelMatch> m = {}) {
    auto c = table_->CountSamples(type, m, {});
    return c.ok() ? *c : std::pair<int64_t, int64_t>{-1, -1};
  }
  std::string from_ = std::to_string(UnixNanos() / kSecond - 60);
  std::string until_ = std::to_string(UnixNanos() / kSecond - 50);
  std::filesystem::path dir_;
  std::unique_ptr<store::ProfileTable> table_;
  std::unique_ptr<PyroscopeIngest> ingest_;
  store::ProfileGenerator gen_{5};
};

TEST_F(PyroscopeIngestTest, GzippedAndRawPprofWithTags) {
  pprof::Profile p = gen_.Next(0);  // time_nanos 0: placed by from/until
  for (bool gzip : {true, false}) {
    std::string body = gzip ? *pprof::EncodeGzip(p) : pprof::Encode(p);
    HttpResponse r = ingest_->Ingest(Request({{"name", "shop.cpu{env=prod,service_version=1.2}"},
                                              {"from", from_},
                                              {"until", until_},
                                              {"spyName", "gospy"},
                                              {"format", "pprof"}},
                                             body));
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{2}, 2 * SumOf(p, 1)));
  EXPECT_EQ(Count("process_cpu:samples:count:cpu:nanoseconds").second, 2 * SumOf(p, 0));
  int seen = 0;
  ASSERT_TRUE(table_
                  ->SelectProfiles(kCpu, {}, {},
                                   [&](const store::StoredProfile& s) {
                                     EXPECT_EQ(s.labels,
                                               (store::Labels{{"__name__", "process_cpu"},
                                                              {"env", "prod"},
                                                              {"pyroscope_spy", "gospy"},
                                                              {"service_name", "shop"},
                                                              {"service_version", "1.2"}}));
                                     EXPECT_EQ(s.time_ns, std::stoll(from_) * kSecond);
                                     EXPECT_EQ(s.duration_ns, 10 * kSecond);
                                     ++seen;
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(ingest_->stats().profiles_accepted, 4);
}

TEST_F(PyroscopeIngestTest, MultipartWithSampleTypeConfigAndPlainUpload) {
  pprof::Profile p = gen_.Next(0);
  std::string body = Multipart(
      {{"profile", *pprof::EncodeGzip(p)},
       {"sample_type_config", R"({"cpu":{"units":"nanoseconds","display-name":"cpu_time"}})"}});
  HttpResponse r = ingest_->Ingest(Request({{"name", "cart"}, {"from", from_}, {"until", until_}},
                                           body, "multipart/form-data; boundary=XyZ"));
  EXPECT_EQ(r.status, 200) << r.body;
  // A plain pprof upload: no name, service_name given.
  r = ingest_->Ingest(
      Request({{"service_name", "billing"}, {"format", "pprof"}}, pprof::Encode(p)));
  EXPECT_EQ(r.status, 200) << r.body;
  auto types = table_->ProfileTypes({{"service_name", store::LabelMatch::Op::kEq, "cart"}}, {});
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(*types, (std::vector<std::string>{"process_cpu:cpu_time:nanoseconds:cpu:nanoseconds",
                                              "process_cpu:samples:count:cpu:nanoseconds"}));
  EXPECT_EQ(Count(kCpu, {{"service_name", store::LabelMatch::Op::kEq, "billing"}}).second,
            SumOf(p, 1));
}

TEST_F(PyroscopeIngestTest, FoldedAndLines) {
  HttpResponse r = ingest_->Ingest(Request({{"name", "app.cpu{env=dev}"},
                                            {"from", from_},
                                            {"until", until_},
                                            {"format", "folded"},
                                            {"sampleRate", "100"},
                                            {"units", "samples"},
                                            {"aggregationType", "sum"}},
                                           "main;work;hot 12\nmain;idle 3\r\n\n"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count("process_cpu:samples:count:cpu:nanoseconds").second, 15);
  EXPECT_EQ(Count(kCpu).second, 15 * 10'000'000);
  r = ingest_->Ingest(
      Request({{"name", "app.alloc_space"}, {"format", "lines"}, {"units", "bytes"}},
              "main;alloc\nmain;alloc\nmain;other\n"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count("memory:space:bytes:space:bytes").second, 3);
}

TEST_F(PyroscopeIngestTest, BadUploadsAre400AndStoreNothing) {
  pprof::Profile absurd = gen_.Next(0);
  absurd.function[0].name = 1'000'000;
  pprof::Profile dangling = gen_.Next(0);
  dangling.sample[0].location_id[0] = 999'999;
  const std::string good = *pprof::EncodeGzip(gen_.Next(0));
  std::string bomb = *compress::GzipCompress(std::string(8u << 20, '\0'), 9);
  const std::vector<std::pair<std::string, std::string>> base = {
      {"name", "shop.cpu"}, {"from", from_}, {"until", until_}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto p = base;
    for (auto& e : extra) {
      bool replaced = false;
      for (auto& q : p) {
        if (q.first == e.first) q.second = e.second, replaced = true;
      }
      if (!replaced) p.push_back(e);
    }
    return p;
  };
  struct Case {
    const char* what;
    HttpRequest request;
    const char* message;
  } cases[] = {
      {"not pprof", Request(base, "hello, this is not a profile"), "pprof:"},
      {"truncated gzip", Request(base, good.substr(0, good.size() / 2)), "gzipped pprof:"},
      {"gzip bomb", Request(base, bomb), "gzipped pprof:"},
      {"absurd string index", Request(base, pprof::Encode(absurd)), "string index 1000000"},
      {"dangling location", Request(base, pprof::Encode(dangling)), "location_id 999999"},
      {"empty body", Request(base, ""), "empty body"},
      {"no name", Request({{"format", "pprof"}}, good), "name: missing"},
      {"bad tag", Request(with({{"name", "shop.cpu{env}"}}), good), "has no '='"},
      {"unclosed tags", Request(with({{"name", "shop.cpu{env=x"}}), good), "must end with '}'"},
      {"bad from", Request(with({{"from", "yesterday"}}), good), "from: not a unix time"},
      {"until before from", Request(with({{"until", "1000"}}), good), "until is before from"},
      {"unsupported format", Request(with({{"format", "jfr"}}), good), "format: unsupported"},
      {"folded bad count", Request(with({{"format", "folded"}}), "a;b 12\na;c x1\n"),
       "line 2: bad count"},
      {"folded no count", Request(with({{"format", "folded"}}), "a;b\n"), "no count"},
      {"folded bad units", Request(with({{"format", "folded"}, {"units", "parsecs"}}), "a 1\n"),
       "units: unsupported"},
      {"multipart without profile",
       Request(base, Multipart({{"other", good}}), "multipart/form-data; boundary=XyZ"),
       "no 'profile' part"},
      {"truncated multipart",
       Request(base, Multipart({{"profile", good}}).substr(0, 120),
               "multipart/form-data; boundary=XyZ"),
       "not closed by the boundary"},
      {"multipart without boundary", Request(base, good, "multipart/form-data"),
       "no usable boundary"},
      {"bad sample_type_config",
       Request(base, Multipart({{"profile", good}, {"sample_type_config", "{nope"}}),
               "multipart/form-data; boundary=XyZ"),
       "sample_type_config:"},
  };
  for (const Case& c : cases) {
    HttpResponse r = ingest_->Ingest(c.request);
    EXPECT_EQ(r.status, 400) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.what << ": " << r.body;
  }
  EXPECT_EQ(Count("").first, 0);
  EXPECT_EQ(ingest_->stats().bad_requests, static_cast<int64_t>(std::size(cases)));
}

class RefusingStore : public store::ProfileStore {
 public:
  explicit RefusingStore(Status s) : status_(std::move(s)) {}
  Result<store::ProfileAppendResult> AppendProfile(const store::Labels&, int64_t, int64_t,
                                                   const pprof::Profile&) override {
    return status_;
  }
  Status SelectProfiles(std::string_view, const std::vector<store::LabelMatch>&,
                        const store::TimeRange&,
                        const std::function<bool(const store::StoredProfile&)>&) override {
    return Status::Ok();
  }
  Result<std::vector<std::string>> ProfileTypes(const std::vector<store::LabelMatch>&,
                                                const store::TimeRange&) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> ProfileLabelNames(const std::vector<store::LabelMatch>&,
                                                     const store::TimeRange&) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> ProfileLabelValues(std::string_view,
                                                      const std::vector<store::LabelMatch>&,
                                                      const store::TimeRange&) override {
    return std::vector<std::string>{};
  }

 private:
  Status status_;
};

TEST(PyroscopeIngestPushBack, OverloadIs429Or503WithRetryAfter) {
  store::ProfileGenerator gen(1);
  const std::string body = pprof::Encode(gen.Next(0));
  for (auto [status, code] :
       {std::pair{Status::ResourceExhausted("full"), 429}, {Status::Unavailable("closed"), 503}}) {
    RefusingStore s(status);
    PyroscopeIngest ingest(&s, {}, 7);
    HttpResponse r = ingest.Ingest(Request({{"name", "shop.cpu"}}, body));
    EXPECT_EQ(r.status, code);
    bool retry = false;
    for (const auto& [k, v] : r.headers) retry |= k == "Retry-After" && v == "7";
    EXPECT_TRUE(retry);
    EXPECT_EQ(ingest.stats().pushed_back, 1);
  }
}

TEST(ParseUnixTime, Magnitudes) {
  struct {
    const char* text;
    int64_t ns;
  } cases[] = {{"1700000000", 1'700'000'000 * kSecond},
               {"1700000000123", 1'700'000'000'123'000'000},
               {"1700000000123456", 1'700'000'000'123'456'000},
               {"1700000000123456789", 1'700'000'000'123'456'789}};
  for (const auto& c : cases) {
    Result<int64_t> t = ParseUnixTime(c.text, "from");
    ASSERT_TRUE(t.ok()) << c.text;
    EXPECT_EQ(*t, c.ns) << c.text;
  }
  for (const char* bad : {"", "-1", "1.5", "12a", "99999999999999999999"}) {
    EXPECT_FALSE(ParseUnixTime(bad, "from").ok()) << bad;
  }
}

TEST(ParseAppName, SuffixesAndTags) {
  Result<AppName> n = ParseAppName("my.app.cpu{env=prod, host.name=a-1,empty=}");
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->app, "my.app");
  EXPECT_EQ(n->suffix, "cpu");
  EXPECT_EQ(n->tags, (store::Labels{{"env", "prod"}, {"host_name", "a-1"}}));
  n = ParseAppName("my.app");  // pyroscope-go sends no suffix
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->app, "my.app");
  EXPECT_EQ(n->suffix, "");
  EXPECT_FALSE(ParseAppName(".cpu").ok());
  EXPECT_FALSE(ParseAppName("a{x=1,x=2}").ok());
  EXPECT_FALSE(ParseAppName("a{__name__=x}").ok());
  EXPECT_FALSE(ParseAppName("a{1x=2}").ok());
}

TEST(ProfileName, FromSampleTypesThenSuffix) {
  auto profile = [](std::vector<std::string> types, std::string period) {
    pprof::Profile p;
    p.string_table.push_back("");
    for (auto& t : types) {
      p.string_table.push_back(t);
      p.sample_type.push_back({static_cast<int64_t>(p.string_table.size() - 1), 0});
    }
    p.string_table.push_back(period);
    p.period_type.type = static_cast<int64_t>(p.string_table.size() - 1);
    return p;
  };
  struct {
    std::vector<std::string> types;
    std::string period, suffix, want;
  } cases[] = {
      {{"samples", "cpu"}, "cpu", "cpu", "process_cpu"},
      {{"samples", "wall"}, "wall", "", "wall"},      // node wall profiles
      {{"objects", "space"}, "space", "", "memory"},  // node heap profiles
      {{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}, "space", "", "memory"},
      {{"contentions", "delay"}, "contentions", "block_count", "block"},
      {{"contentions", "delay"}, "contentions", "mutex_count", "mutex"},
      {{"goroutine"}, "goroutine", "", "goroutine"},
      {{"threads"}, "threads", "threads", "threads"},
      {{"samples"}, "cpu", "", "process_cpu"},
      {{"thing"}, "x", "", "thing"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ProfileName(c.suffix, profile(c.types, c.period)), c.want) << c.want;
  }
}

TEST_F(PyroscopeIngestTest, DebugProfileCount) {
  pprof::Profile p = gen_.Next(0);
  ASSERT_EQ(ingest_
                ->Ingest(Request({{"name", "shop.cpu"}, {"from", from_}, {"until", until_}},
                                 pprof::Encode(p)))
                .status,
            200);
  HttpRequest q;
  q.method = "GET";
  q.params = {{"type", kCpu}, {"service_name", "shop"}, {"from", from_}};
  HttpResponse r = ingest_->ProfileCount(q);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"profiles\":1,\"total\":" + std::to_string(SumOf(p, 1)) + "}");
  q.params = {{"type", kCpu}, {"service_name", "other"}};
  EXPECT_EQ(ingest_->ProfileCount(q).body, "{\"profiles\":0,\"total\":0}");
  q.params = {};
  EXPECT_EQ(ingest_->ProfileCount(q).status, 400);
}

}  // namespace
}  // namespace quartet::ingest
