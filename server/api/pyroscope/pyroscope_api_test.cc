#include "server/api/pyroscope/pyroscope_api.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "base/hex.h"
#include "server/http/router.h"
#include "server/query/profiles/memory_profile_store.h"
#include "server/query/profiles/stack_merger.h"
#include "server/query/profiles/test_profiles.h"
#include "wire/json/json_parser.h"
#include "wire/json/json_value.h"
#include "wire/pprof/profile.h"

namespace quartet::api {
namespace {

using profiles::MemoryProfileStore;
using profiles::ptest::TestSample;
using server::HttpRequest;
using server::HttpResponse;

constexpr int64_t kS = 1'000'000'000;
constexpr char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

void AddProfile(MemoryProfileStore* store, std::string service, int64_t t_s,
                const std::vector<TestSample>& samples) {
  store::StoredProfile p;
  p.labels = {{"__name__", "process_cpu"}, {"service_name", std::move(service)}, {"env", "prod"}};
  p.profile_type = kCpu;
  p.time_ns = t_s * kS;
  p.duration_ns = 10 * kS;
  p.profile = profiles::ptest::MakeProfile(samples, p.time_ns);
  store->Add(std::move(p));
}

HttpRequest Get(std::string path, std::vector<std::pair<std::string, std::string>> params) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.params = std::move(params);
  return r;
}

json::Value ParseJson(const HttpResponse& res) {
  Result<json::Value> v = json::Parse(res.body);
  EXPECT_TRUE(v.ok()) << res.body;
  return v.ok() ? std::move(*v) : json::Value();
}

std::vector<int64_t> Ints(const json::Value* v) {
  std::vector<int64_t> out;
  if (v == nullptr) return out;
  for (const json::Value& item : v->items()) out.push_back(item.int_value().value_or(-1));
  return out;
}

std::vector<std::string> Strings(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  for (const json::Value& item : v->items()) out.push_back(item.string_value());
  return out;
}

class PyroscopeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // checkout: an hour-old baseline and an incident window.
    AddProfile(&store_, "checkout", 1000, {{"main;handle;lookup", 80}, {"main;handle;render", 20}});
    AddProfile(&store_, "checkout", 2000,
               {{"main;handle;scan", 300, "00f067aa0ba902b7"},
                {"main;handle;render", 40, "1111111111111111"},
                {"main;gc", 60}});
    AddProfile(&store_, "checkout", 2010, {{"main;handle;scan", 100, "00f067aa0ba902b7"}});
    AddProfile(&store_, "cart", 2000, {{"main;cart", 5}});
  }
  MemoryProfileStore store_;
  PyroscopeApi api_{&store_};
};

TEST_F(PyroscopeApiTest, RenderFlamebearerShape) {
  HttpResponse res = api_.Render(
      Get("/pyroscope/render", {{"query", std::string(kCpu) + "{service_name=\"checkout\"}"},
                                {"from", "2000"},
                                {"until", "2100"}}));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.content_type, "application/json");
  json::Value v = ParseJson(res);
  const json::Value* fb = v.Find("flamebearer");
  ASSERT_NE(fb, nullptr);
  EXPECT_EQ(Strings(fb->Find("names")),
            (std::vector<std::string>{"total", "main", "gc", "handle", "render", "scan"}));
  ASSERT_EQ(fb->Find("levels")->items().size(), 4u);
  EXPECT_EQ(Ints(&fb->Find("levels")->items()[0]), (std::vector<int64_t>{0, 500, 0, 0}));
  EXPECT_EQ(Ints(&fb->Find("levels")->items()[2]),
            (std::vector<int64_t>{0, 60, 60, 2, 0, 440, 0, 3}));
  EXPECT_EQ(Ints(&fb->Find("levels")->items()[3]),
            (std::vector<int64_t>{60, 40, 40, 4, 0, 400, 400, 5}));
  EXPECT_EQ(fb->Find("numTicks")->int_value(), 500);
  EXPECT_EQ(fb->Find("maxSelf")->int_value(), 400);
  const json::Value* md = v.Find("metadata");
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->Find("format")->string_value(), "single");
  EXPECT_EQ(md->Find("units")->string_value(), "samples");
  EXPECT_EQ(md->Find("sampleRate")->int_value(), 1'000'000'000);
  const json::Value* tl = v.Find("timeline");
  ASSERT_NE(tl, nullptr);
  EXPECT_EQ(tl->Find("startTime")->int_value(), 2000);
  EXPECT_EQ(tl->Find("durationDelta")->int_value(), 10);
  EXPECT_EQ(Ints(tl->Find("samples")), (std::vector<int64_t>{400, 100, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST_F(PyroscopeApiTest, RenderSpanProfileKeepsOnlyThatSpan) {
  for (const char* param : {"span_id", "spanSelector"}) {
    HttpResponse res = api_.Render(Get("/pyroscope/render", {{"query", std::string(kCpu) + "{}"},
                                                             {"from", "0"},
                                                             {"until", "now"},
                                                             {param, "00F067AA0BA902B7"}}));
    ASSERT_EQ(res.status, 200) << res.body;
    json::Value v = ParseJson(res);
    const json::Value* fb = v.Find("flamebearer");
    EXPECT_EQ(Strings(fb->Find("names")),
              (std::vector<std::string>{"total", "main", "handle", "scan"}));
    EXPECT_EQ(fb->Find("numTicks")->int_value(), 400);
  }
}

TEST_F(PyroscopeApiTest, RenderFoldedAndPprof) {
  auto req = [](std::string format) {
    return Get("/pyroscope/render", {{"query", std::string(kCpu) + "{service_name=\"cart\"}"},
                                     {"from", "now-100y"},
                                     {"format", std::move(format)}});
  };
  HttpResponse folded = api_.Render(req("folded"));
  ASSERT_EQ(folded.status, 200);
  EXPECT_EQ(folded.body, "main;cart 5\n");

  HttpResponse res = api_.Render(req("pprof"));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.content_type, "application/octet-stream");
  ASSERT_GE(res.body.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(res.body[0]), 0x1f);  // gzipped
  Result<pprof::Profile> p = pprof::DecodeMaybeGzip(res.body);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->sample_type.size(), 1u);
  EXPECT_EQ(p->StringAt(p->sample_type[0].type), "cpu");
  EXPECT_EQ(p->StringAt(p->sample_type[0].unit), "nanoseconds");
  profiles::StackMerger m;
  m.Add(*p);
  EXPECT_EQ(profiles::ptest::Folded(m.stacks()),
            (std::map<std::string, int64_t>{{"main;cart", 5}}));
}

TEST_F(PyroscopeApiTest, RenderMaxNodes) {
  HttpResponse res =
      api_.Render(Get("/pyroscope/render",
                      {{"query", std::string(kCpu) + "{}"}, {"from", "0"}, {"maxNodes", "2"}}));
  ASSERT_EQ(res.status, 200);
  json::Value v = ParseJson(res);
  EXPECT_EQ(Strings(v.Find("flamebearer")->Find("names")),
            (std::vector<std::string>{"total", "main", "other"}));
}

TEST_F(PyroscopeApiTest, BadRequestsAre400WithPreciseMessages) {
  using Params = std::vector<std::pair<std::string, std::string>>;
  const std::string q = std::string(kCpu) + "{}";
  struct Case {
    std::string path;
    Params params;
    std::string message_part;
  };
  const Case cases[] = {
      {"/pyroscope/render", {}, "missing parameter \"query\""},
      {"/pyroscope/render", {{"query", "process_cpu{}"}}, "invalid profile type"},
      {"/pyroscope/render", {{"query", q + "x"}}, "parse error"},
      {"/pyroscope/render", {{"query", q}, {"from", "yesterday"}}, "invalid parameter \"from\""},
      {"/pyroscope/render", {{"query", q}, {"until", "now-"}}, "invalid parameter \"until\""},
      {"/pyroscope/render",
       {{"query", q}, {"from", "2000"}, {"until", "1000"}},
       "from must be before until"},
      {"/pyroscope/render", {{"query", q}, {"format", "svg"}}, "invalid parameter \"format\""},
      {"/pyroscope/render", {{"query", q}, {"maxNodes", "-1"}}, "maxNodes"},
      {"/pyroscope/render", {{"query", q}, {"span_id", "xyz"}}, "not a 16-hex-digit span id"},
      {"/pyroscope/render", {{"query", q}, {"trace_id", "abc"}}, "not a 32-hex-digit trace id"},
      {"/pyroscope/render", {{"query", q}, {"trace_id", std::string(32, 'a')}}, "keeps no traces"},
      {"/pyroscope/render", {{"query", std::string(kCpu) + "{a=~\"(\"}"}}, "a"},
      {"/pyroscope/render-diff", {{"leftQuery", q}}, "missing parameter \"rightQuery\""},
      {"/pyroscope/render-diff",
       {{"leftQuery", q}, {"rightQuery", "memory:alloc_space:bytes:space:bytes{}"}},
       "different profile types"},
      {"/pyroscope/top", {{"query", q}, {"order", "flat"}}, "invalid parameter \"order\""},
      {"/pyroscope/top", {{"query", q}, {"limit", "x"}}, "limit"},
      {"/pyroscope/label-values", {}, "missing parameter \"label\""},
      {"/pyroscope/labels", {{"query", "{"}}, "invalid parameter \"query\""},
  };
  server::Router router;
  api_.Register(&router);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " " + (c.params.empty() ? "" : c.params.back().second));
    server::Router::Match m = router.Find("GET", c.path);
    ASSERT_NE(m.handler, nullptr);
    HttpResponse res = (*m.handler)(Get(c.path, c.params));
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_NE(res.body.find(c.message_part), std::string::npos) << res.body;
  }
}

TEST_F(PyroscopeApiTest, RenderDiffDouble) {
  const std::string q = std::string(kCpu) + "{service_name=\"checkout\"}";
  HttpResponse res = api_.RenderDiff(Get("/pyroscope/render-diff", {{"leftQuery", q},
                                                                    {"leftFrom", "1000"},
                                                                    {"leftUntil", "1010"},
                                                                    {"rightQuery", q},
                                                                    {"rightFrom", "2000"},
                                                                    {"rightUntil", "2020"}}));
  ASSERT_EQ(res.status, 200) << res.body;
  json::Value v = ParseJson(res);
  EXPECT_EQ(v.Find("metadata")->Find("format")->string_value(), "double");
  EXPECT_EQ(v.Find("leftTicks")->int_value(), 100);
  EXPECT_EQ(v.Find("rightTicks")->int_value(), 500);
  const json::Value* fb = v.Find("flamebearer");
  EXPECT_EQ(fb->Find("numTicks")->int_value(), 600);
  EXPECT_EQ(Ints(&fb->Find("levels")->items()[0]), (std::vector<int64_t>{0, 100, 0, 0, 500, 0, 0}));
  EXPECT_EQ(fb->Find("levels")->items()[3].items().size(), 3u * 7);  // lookup, render, scan
  EXPECT_NE(v.Find("leftTimeline"), nullptr);
  EXPECT_NE(v.Find("rightTimeline"), nullptr);
}

TEST_F(PyroscopeApiTest, TopAndDiffFunctions) {
  const std::string q = std::string(kCpu) + "{service_name=\"checkout\"}";
  HttpResponse res = api_.Top(
      Get("/pyroscope/top", {{"query", q}, {"from", "2000"}, {"until", "2100"}, {"limit", "3"}}));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body,
            "{\"profileType\":\"process_cpu:cpu:nanoseconds:cpu:nanoseconds\",\"units\":"
            "\"samples\",\"sampleRate\":1000000000,\"numTicks\":500,\"functions\":["
            "{\"name\":\"scan\",\"self\":400,\"total\":400},"
            "{\"name\":\"gc\",\"self\":60,\"total\":60},"
            "{\"name\":\"render\",\"self\":40,\"total\":40}]}");
  res = api_.Top(
      Get("/pyroscope/top", {{"query", q}, {"from", "0"}, {"order", "total"}, {"limit", "2"}}));
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("[{\"name\":\"main\",\"self\":0,\"total\":600},{\"name\":\"handle\","
                          "\"self\":0,\"total\":540}]"),
            std::string::npos)
      << res.body;

  res = api_.DiffFunctions(Get("/pyroscope/diff-functions", {{"leftQuery", q},
                                                             {"leftFrom", "1000"},
                                                             {"leftUntil", "1010"},
                                                             {"rightQuery", q},
                                                             {"rightFrom", "2000"},
                                                             {"rightUntil", "2020"},
                                                             {"limit", "2"}}));
  ASSERT_EQ(res.status, 200) << res.body;
  json::Value v = ParseJson(res);
  EXPECT_EQ(v.Find("leftTicks")->int_value(), 100);
  EXPECT_EQ(v.Find("rightTicks")->int_value(), 500);
  const auto& fns = v.Find("functions")->items();
  ASSERT_EQ(fns.size(), 2u);
  // Equal |change|: ordered by name.
  EXPECT_EQ(fns[0].Find("name")->string_value(), "lookup");  // 80% -> 0
  EXPECT_DOUBLE_EQ(fns[0].Find("selfShareChange")->double_value(), -0.8);
  EXPECT_EQ(fns[0].Find("leftSelf")->int_value(), 80);
  EXPECT_EQ(fns[1].Find("name")->string_value(), "scan");  // 0 -> 80%
  EXPECT_DOUBLE_EQ(fns[1].Find("selfShareChange")->double_value(), 0.8);
  EXPECT_EQ(fns[1].Find("rightSelf")->int_value(), 400);
}

TEST_F(PyroscopeApiTest, LabelsAndProfileTypes) {
  HttpResponse res = api_.LabelNames(Get("/pyroscope/label-names", {{"from", "0"}}));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "[\"__name__\",\"env\",\"service_name\"]");
  res =
      api_.LabelValues(Get("/pyroscope/label-values", {{"label", "service_name"}, {"from", "0"}}));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "[\"cart\",\"checkout\"]");
  res = api_.LabelValues(
      Get("/pyroscope/label-values",
          {{"label", "service_name"}, {"from", "1500"}, {"query", "{service_name=~\"check.*\"}"}}));
  EXPECT_EQ(res.body, "[\"checkout\"]");
  res = api_.ProfileTypes(Get("/pyroscope/profile-types", {{"from", "0"}}));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body,
            "{\"profileTypes\":[{\"ID\":\"process_cpu:cpu:nanoseconds:cpu:nanoseconds\","
            "\"name\":\"process_cpu\",\"sampleType\":\"cpu\",\"sampleUnit\":\"nanoseconds\","
            "\"periodType\":\"cpu\",\"periodUnit\":\"nanoseconds\"}]}");
}

// A trace store holding one trace of two spans.
class OneTrace : public store::TraceStore {
 public:
  Result<store::AppendResult> AppendSpans(otlp::ExportTraceServiceRequest,
                                          std::string_view) override {
    return Status::Unavailable("read-only");
  }
  Result<otlp::ExportTraceServiceRequest> GetTrace(const TraceId& id) override {
    if (id.bytes[0] != 0xab) return Status::NotFound("trace not found");
    otlp::ExportTraceServiceRequest r;
    auto& spans = r.resource_spans.emplace_back().scope_spans.emplace_back().spans;
    for (const char* hex : {"00f067aa0ba902b7", "2222222222222222"}) {
      otlp::Span& s = spans.emplace_back();
      HexDecode(hex, s.span_id.bytes.data(), 8);
    }
    return r;
  }
  Result<store::TraceSummary> GetTraceSummary(const TraceId&) override {
    return Status::NotFound("no");
  }
  Status SearchTraces(const store::TraceFilter&,
                      const std::function<bool(const store::TraceCandidate&)>&) override {
    return Status::Ok();
  }
  Result<std::vector<std::string>> TagNames(std::string_view, const store::TimeRange&) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> TagValues(std::string_view, std::string_view,
                                             const store::TimeRange&, size_t) override {
    return std::vector<std::string>{};
  }
};

TEST_F(PyroscopeApiTest, RenderTraceProfileKeepsThatTracesSpans) {
  OneTrace traces;
  PyroscopeApi api(&store_, &traces);
  HttpResponse res =
      api.Render(Get("/pyroscope/render", {{"query", std::string(kCpu) + "{}"},
                                           {"from", "0"},
                                           {"format", "folded"},
                                           {"trace_id", "ab" + std::string(30, '0')}}));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, "main;handle;scan 400\n");  // span 1111... (render) is another trace's
  res = api.Render(Get("/pyroscope/render",
                       {{"query", std::string(kCpu) + "{}"}, {"trace_id", std::string(32, '0')}}));
  EXPECT_EQ(res.status, 404) << res.body;
}

// Issue 6, must-show 2: the merged pprof of a window, read by the real
// `go tool pprof -top`, has the same top functions and values the API reports.
TEST_F(PyroscopeApiTest, GoToolPprofAgreesWithTop) {
  ASSERT_EQ(std::system("go version > /dev/null 2>&1"), 0) << "go (Debian golang-go) is required";
  // A bigger window with deeper, recursive stacks.
  AddProfile(&store_, "checkout", 2015,
             {{"main;handle;parse;parse;lex", 123},
              {"main;handle;render;escape", 77},
              {"main;handle;scan;compare", 250}});
  const std::string q = std::string(kCpu) + "{service_name=\"checkout\"}";
  HttpResponse pprof_res =
      api_.Render(Get("/pyroscope/render", {{"query", q}, {"from", "0"}, {"format", "pprof"}}));
  ASSERT_EQ(pprof_res.status, 200);
  std::string path = ::testing::TempDir() + "/pq_merged.pb.gz";
  { std::ofstream(path, std::ios::binary) << pprof_res.body; }
  std::string cmd = "go tool pprof -top -nodecount=1000 -unit=ns " + path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ASSERT_EQ(pclose(pipe), 0) << out;
  // Lines: "      80ns 14.29% 14.29%      400ns 71.43%  scan".
  std::map<std::string, std::pair<int64_t, int64_t>> go_top;
  std::istringstream lines(out);
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    if (line.find("flat%") != std::string::npos) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    std::istringstream f(line);
    std::string flat, flat_pct, sum_pct, cum, cum_pct, name;
    f >> flat >> flat_pct >> sum_pct >> cum >> cum_pct >> name;
    auto ns = [](std::string s) { return std::stoll(s.substr(0, s.size() - 2)); };
    go_top[name] = {ns(flat), ns(cum)};
  }
  HttpResponse top = api_.Top(Get("/pyroscope/top", {{"query", q}, {"from", "0"}, {"limit", "0"}}));
  ASSERT_EQ(top.status, 200);
  json::Value v = ParseJson(top);
  std::map<std::string, std::pair<int64_t, int64_t>> api_top;
  for (const json::Value& fn : v.Find("functions")->items()) {
    api_top[fn.Find("name")->string_value()] = {*fn.Find("self")->int_value(),
                                                *fn.Find("total")->int_value()};
  }
  EXPECT_EQ(api_top.size(), 10u);
  EXPECT_EQ(go_top, api_top) << out;
  EXPECT_EQ(api_top["parse"], (std::pair<int64_t, int64_t>{0, 123}));  // recursion counted once
}

}  // namespace
}  // namespace quartet::api
