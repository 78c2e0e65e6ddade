#include "server/incident/report.h"

#include <gtest/gtest.h>

#include "wire/json/json_parser.h"

namespace quartet::incident {
namespace {

TEST(ReportTest, JsonHasTheDocumentedShapeWithTimesInSeconds) {
  Report r;
  r.service = "check\"out";
  r.from_ns = 1700000000000000000;
  r.to_ns = 1700000900500000000;
  r.baseline_from_ns = 1699999100000000000;
  r.baseline_to_ns = 1700000000000000000;
  r.onset_ns = 1700000300000000000;
  r.broken.push_back({.summary = "slow",
                      .signal = "latency p99",
                      .subject = {{"route", "/checkout"}},
                      .baseline = 4.25,
                      .incident = 812.0,
                      .unit = "ms",
                      .score = 0.9,
                      .links = {"/ui/explore/traces?q=x"}});
  r.why.push_back({.summary = "version", .signal = "version change", .score = 0.5});
  r.conclusion = "done";
  Result<json::Value> doc = json::Parse(ReportToJson(r));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->Find("service")->string_value(), "check\"out");
  EXPECT_EQ(doc->Find("window")->Find("from")->int_value(), 1700000000);
  EXPECT_DOUBLE_EQ(doc->Find("window")->Find("to")->double_value(), 1700000900.5);
  EXPECT_EQ(doc->Find("baseline")->Find("from")->int_value(), 1699999100);
  EXPECT_EQ(doc->Find("onset")->int_value(), 1700000300);
  const json::Value& f = doc->Find("broken")->items().at(0);
  EXPECT_EQ(f.Find("signal")->string_value(), "latency p99");
  EXPECT_EQ(f.Find("subject")->Find("route")->string_value(), "/checkout");
  EXPECT_DOUBLE_EQ(f.Find("baseline")->double_value(), 4.25);
  EXPECT_EQ(f.Find("links")->items().at(0).string_value(), "/ui/explore/traces?q=x");
  EXPECT_TRUE(doc->Find("why")->items().at(0).Find("baseline")->is_null());
  for (const char* list : {"who", "where"}) EXPECT_TRUE(doc->Find(list)->items().empty());
  EXPECT_EQ(doc->Find("conclusion")->string_value(), "done");

  r.onset_ns.reset();
  doc = json::Parse(ReportToJson(r));
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(doc->Find("onset")->is_null());
}

TEST(ReportTest, RankAndTrimKeepsTheBestInOrder) {
  Report r;
  for (int i = 0; i < 15; ++i) r.who.push_back({.summary = std::to_string(i), .score = i * 0.01});
  RankAndTrim(&r, 10);
  ASSERT_EQ(r.who.size(), 10u);
  EXPECT_EQ(r.who.front().summary, "14");
  EXPECT_EQ(r.who.back().summary, "5");
}

}  // namespace
}  // namespace quartet::incident
