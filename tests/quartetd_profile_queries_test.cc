// Profile queries in the real quartetd: pprof uploads over Pyroscope's
// /ingest read back through /pyroscope/* (docs/profiles_api.md). Issue 6's
// must-shows end to end: merged totals equal the ingested sums; the merged
// pprof read by the real `go tool pprof -top` shows the values /pyroscope/top
// reports; a diff of a baseline and an incident window reports the new hot
// function's share rising (and the old one's falling) by the right amount;
// the profile of one span shows its function and none of the concurrent work
// of other spans.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"
#include "wire/pprof/builder.h"
#include "wire/pprof/profile.h"

namespace quartet::testing {
namespace {

constexpr char kSpanA[] = "00f067aa0ba902b7";
constexpr char kSpanB[] = "b7ad6b7169203331";

struct Frame {
  std::string stack;  // root first, ';'-separated
  int64_t value;
  std::string span;  // "" : none
};

// A gzipped 10 s CPU profile of `frames`.
std::string CpuProfile(const std::vector<Frame>& frames, int64_t time_s) {
  pprof::ProfileBuilder b;
  b.AddSampleType("cpu", "nanoseconds");
  b.SetPeriod("cpu", "nanoseconds", 10'000'000);
  b.SetTime(time_s * 1'000'000'000, 10'000'000'000);
  for (const Frame& f : frames) {
    std::vector<std::string> names;
    std::stringstream ss(f.stack);
    for (std::string n; std::getline(ss, n, ';');) names.push_back(n);
    std::vector<uint64_t> ids;
    for (size_t i = names.size(); i-- > 0;) {
      ids.push_back(b.LocationForFunction(b.Function(names[i], names[i], "checkout.cc")));
    }
    int64_t v = f.value;
    pprof::LabelSpec label{"span_id", f.span};
    b.AddSample(ids, std::span<const int64_t>(&v, 1),
                std::span<const pprof::LabelSpec>(&label, f.span.empty() ? 0 : 1));
  }
  return *pprof::EncodeGzip(b.profile());
}

class QuartetdProfileQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(q_.ready());
    const int64_t now = time(nullptr);
    baseline_ = now - 1800;  // half an hour ago: index lookups
    incident_ = now - 300;   // five minutes ago: table scans
    for (int i = 0; i < 6; ++i) {
      Push(CpuProfile({{"main;handle_checkout;sqlite3_step;index_lookup", 80'000'000},
                       {"main;handle_checkout;render_json", 20'000'000}},
                      baseline_ + 10 * i),
           baseline_ + 10 * i);
      baseline_total_ += 100'000'000;
    }
    for (int i = 0; i < 6; ++i) {
      Push(CpuProfile({{"main;handle_checkout;sqlite3_step;table_scan", 360'000'000, kSpanA},
                       {"main;handle_checkout;render_json", 30'000'000, kSpanB},
                       {"main;gc", 10'000'000}},
                      incident_ + 10 * i),
           incident_ + 10 * i);
      incident_total_ += 400'000'000;
    }
  }

  void Push(const std::string& body, int64_t from) {
    Quartetd::Response r =
        q_.Post("/ingest?name=checkout.cpu%7Benv%3Dprod%7D&from=" + std::to_string(from) +
                    "&until=" + std::to_string(from + 10),
                body, "application/octet-stream");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  json::Value GetJson(const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& params) {
    Quartetd::Response r = q_.Query(path, params);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    Result<json::Value> v = json::Parse(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? std::move(*v) : json::Value();
  }

  std::string Window(int64_t from) { return std::to_string(from); }

  Quartetd q_;
  int64_t baseline_ = 0, incident_ = 0;
  int64_t baseline_total_ = 0, incident_total_ = 0;
  const std::string query_ =
      "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"checkout\"}";
};

TEST_F(QuartetdProfileQueriesTest, TypesLabelsAndMergedTotals) {
  json::Value types = GetJson("/pyroscope/profile-types", {{"from", "now-1h"}});
  ASSERT_NE(types.Find("profileTypes"), nullptr);
  bool found = false;
  for (const json::Value& t : types.Find("profileTypes")->items()) {
    found |= t.Find("ID")->string_value() == "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
  }
  EXPECT_TRUE(found);
  Quartetd::Response values =
      q_.Query("/pyroscope/label-values", {{"label", "service_name"}, {"from", "now-1h"}});
  EXPECT_EQ(values.body, "[\"checkout\"]");

  json::Value all = GetJson("/pyroscope/render", {{"query", query_}, {"from", "now-1h"}});
  const json::Value* fb = all.Find("flamebearer");
  ASSERT_NE(fb, nullptr);
  EXPECT_EQ(fb->Find("numTicks")->int_value(), baseline_total_ + incident_total_);
  EXPECT_EQ(all.Find("metadata")->Find("format")->string_value(), "single");
  int64_t timeline_sum = 0;
  for (const json::Value& v : all.Find("timeline")->Find("samples")->items()) {
    timeline_sum += *v.int_value();
  }
  EXPECT_EQ(timeline_sum, baseline_total_ + incident_total_);

  json::Value incident =
      GetJson("/pyroscope/render",
              {{"query", query_}, {"from", Window(incident_)}, {"until", Window(incident_ + 60)}});
  EXPECT_EQ(incident.Find("flamebearer")->Find("numTicks")->int_value(), incident_total_);
}

TEST_F(QuartetdProfileQueriesTest, GoToolPprofAgreesWithTop) {
  ASSERT_EQ(std::system("go version > /dev/null 2>&1"), 0) << "go (Debian golang-go) is required";
  Quartetd::Response pprof =
      q_.Query("/pyroscope/render", {{"query", query_}, {"from", "now-1h"}, {"format", "pprof"}});
  ASSERT_EQ(pprof.status, 200);
  const std::string path = TempDir("profile_queries") + "/merged.pb.gz";
  { std::ofstream(path, std::ios::binary) << pprof.body; }
  FILE* pipe =
      popen(("go tool pprof -top -nodecount=1000 -unit=ns " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ASSERT_EQ(pclose(pipe), 0) << out;
  std::map<std::string, std::pair<int64_t, int64_t>> go_top, api_top;
  std::istringstream lines(out);
  bool table = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("flat%") != std::string::npos) {
      table = true;
      continue;
    }
    if (!table) continue;
    std::istringstream f(line);
    std::string flat, fp, sp, cum, cp, name;
    f >> flat >> fp >> sp >> cum >> cp >> name;
    go_top[name] = {std::stoll(flat), std::stoll(cum)};  // "80000000ns"
  }
  json::Value top =
      GetJson("/pyroscope/top", {{"query", query_}, {"from", "now-1h"}, {"limit", "0"}});
  for (const json::Value& fn : top.Find("functions")->items()) {
    api_top[fn.Find("name")->string_value()] = {*fn.Find("self")->int_value(),
                                                *fn.Find("total")->int_value()};
  }
  EXPECT_EQ(api_top.size(), 7u);
  EXPECT_EQ(go_top, api_top) << out;
  EXPECT_EQ(api_top["table_scan"], (std::pair<int64_t, int64_t>{2'160'000'000, 2'160'000'000}));
}

TEST_F(QuartetdProfileQueriesTest, DiffReportsTheNewHotFunction) {
  json::Value d = GetJson("/pyroscope/diff-functions", {{"leftQuery", query_},
                                                        {"leftFrom", Window(baseline_)},
                                                        {"leftUntil", Window(baseline_ + 60)},
                                                        {"rightQuery", query_},
                                                        {"rightFrom", Window(incident_)},
                                                        {"rightUntil", Window(incident_ + 60)}});
  EXPECT_EQ(d.Find("leftTicks")->int_value(), baseline_total_);
  EXPECT_EQ(d.Find("rightTicks")->int_value(), incident_total_);
  const auto& fns = d.Find("functions")->items();
  ASSERT_GE(fns.size(), 2u);
  // table_scan: 0 -> 90% of the CPU; index_lookup: 80% -> 0.
  EXPECT_EQ(fns[0].Find("name")->string_value(), "table_scan");
  EXPECT_DOUBLE_EQ(fns[0].Find("selfShareChange")->double_value(), 0.9);
  EXPECT_EQ(fns[1].Find("name")->string_value(), "index_lookup");
  EXPECT_DOUBLE_EQ(fns[1].Find("selfShareChange")->double_value(), -0.8);

  json::Value diff = GetJson("/pyroscope/render-diff", {{"leftQuery", query_},
                                                        {"leftFrom", Window(baseline_)},
                                                        {"leftUntil", Window(baseline_ + 60)},
                                                        {"rightQuery", query_},
                                                        {"rightFrom", Window(incident_)},
                                                        {"rightUntil", Window(incident_ + 60)}});
  EXPECT_EQ(diff.Find("metadata")->Find("format")->string_value(), "double");
  EXPECT_EQ(diff.Find("flamebearer")->Find("numTicks")->int_value(),
            baseline_total_ + incident_total_);
}

TEST_F(QuartetdProfileQueriesTest, SpanProfileExcludesOtherSpans) {
  Quartetd::Response r =
      q_.Query("/pyroscope/render",
               {{"query", query_}, {"from", "now-1h"}, {"span_id", kSpanA}, {"format", "folded"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "main;handle_checkout;sqlite3_step;table_scan 2160000000\n");
  json::Value fb =
      GetJson("/pyroscope/render", {{"query", query_}, {"from", "now-1h"}, {"span_id", kSpanA}});
  std::vector<std::string> names;
  for (const json::Value& n : fb.Find("flamebearer")->Find("names")->items()) {
    names.push_back(n.string_value());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"total", "main", "handle_checkout", "sqlite3_step",
                                             "table_scan"}));
  Quartetd::Response bad = q_.Query("/pyroscope/render", {{"query", query_}, {"span_id", "nope"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("span_id"), std::string::npos);
}

}  // namespace
}  // namespace quartet::testing
