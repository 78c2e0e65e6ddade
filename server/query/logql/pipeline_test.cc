#include "server/query/logql/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "server/query/logql/log_parsers.h"
#include "server/query/logql/parser.h"

namespace quartet::logql {
namespace {

struct Out {
  bool kept = false;
  Labels labels;
  std::string line;
};

Out RunPipeline(const std::string& query, std::string_view line, const Labels& metadata = {}) {
  auto e = Parse(query);
  EXPECT_TRUE(e.ok()) << query << ": " << e.status().ToString();
  if (!e.ok()) return {};
  Pipeline p(std::get<LogQuery>(*e));
  Out out;
  Labels stream = {{"app", "api"}, {"env", "prod"}};
  out.kept = p.Process(stream, metadata, line, &out.labels, &out.line);
  return out;
}

std::string Label(const Out& out, std::string_view name) {
  for (const auto& [k, v] : out.labels) {
    if (k == name) return v;
  }
  return "<missing>";
}

TEST(PipelineTest, LineFilters) {
  struct Case {
    const char* query;
    const char* line;
    bool kept;
  };
  const Case cases[] = {
      {R"({app="api"} |= "err")", "an error", true},
      {R"({app="api"} |= "err")", "all fine", false},
      {R"({app="api"} != "err")", "an error", false},
      {R"({app="api"} |= "x" or "fine")", "all fine", true},
      {R"({app="api"} != "x" or "fine")", "all fine", false},
      {R"({app="api"} |~ "e.r")", "an error", true},
      {R"({app="api"} |~ "^err")", "an error", false},
      {R"({app="api"} !~ "[0-9]")", "no digits", true},
      {R"({app="api"} |= "an" |= "error" != "warn")", "an error", true},
      {R"({app="api"} |= "")", "anything", true},
      {R"({app="api"} | logfmt |= "b=2")", "a=1 b=2", true},
      {R"({app="api"} |~ "fatal|error")", "an error", true},
      {R"({app="api"} |~ "fatal|panic")", "an error", false},
      {R"({app="api"} !~ "fatal|error")", "an error", false},
      {R"({app="api"} |~ "x|")", "anything", true},
      {R"({app="api"} |~ "(?i)ERROR")", "an error", true},
      {R"({app="api"} |~ "E.*R" or "an")", "an error", true},
      {R"({app="api"} !~ "zzz" or "an")", "an error", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(RunPipeline(c.query, c.line).kept, c.kept) << c.query << " / " << c.line;
}

TEST(PipelineTest, JsonFlattensAndReportsErrors) {
  Out out = RunPipeline(
      R"({app="api"} | json)",
      R"({"a":{"b":1,"c":{"d":"x\"y"}},"arr":[1,2],"n":null,"ok":true,"app":"dup","user.name":"u"})");
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(Label(out, "a_b"), "1");
  EXPECT_EQ(Label(out, "a_c_d"), "x\"y");
  EXPECT_EQ(Label(out, "arr"), "<missing>");
  EXPECT_EQ(Label(out, "n"), "<missing>");
  EXPECT_EQ(Label(out, "ok"), "true");
  EXPECT_EQ(Label(out, "app"), "api");
  EXPECT_EQ(Label(out, "app_extracted"), "dup");
  EXPECT_EQ(Label(out, "user_name"), "u");

  Out bad = RunPipeline(R"({app="api"} | json)", "not json");
  ASSERT_TRUE(bad.kept);
  EXPECT_EQ(Label(bad, "__error__"), "JSONParserErr");
  EXPECT_NE(Label(bad, "__error_details__"), "<missing>");
  EXPECT_FALSE(RunPipeline(R"({app="api"} | json | __error__="")", "not json").kept);
  EXPECT_TRUE(RunPipeline(R"({app="api"} | json | __error__="")", "{}").kept);
  // Numeric filters pass lines that already carry an error.
  EXPECT_TRUE(RunPipeline(R"({app="api"} | json | status > 5)", "not json").kept);
}

TEST(PipelineTest, JsonExtraction) {
  Out out = RunPipeline(
      R"({app="api"} | json s="resp.status", first="items[1]", obj="resp", q=`resp["a b"]`)",
      R"({"resp":{"status":503,"a b":"q"},"items":["x",{"k":"v"}]})");
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(Label(out, "s"), "503");
  EXPECT_EQ(Label(out, "first"), R"({"k":"v"})");
  EXPECT_EQ(Label(out, "obj"), R"({"status":503,"a b":"q"})");
  EXPECT_EQ(Label(out, "q"), "q");
  EXPECT_EQ(out.labels.size(), 6u);  // app, env + 4
}

TEST(PipelineTest, Logfmt) {
  Out out = RunPipeline(R"({app="api"} | logfmt)", R"(level=info msg="hello \"w\"" flag dur=1.5s)");
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(Label(out, "level"), "info");
  EXPECT_EQ(Label(out, "msg"), "hello \"w\"");
  EXPECT_EQ(Label(out, "flag"), "");
  EXPECT_EQ(Label(out, "dur"), "1.5s");
  Out bad = RunPipeline(R"({app="api"} | logfmt)", R"(a="unterminated)");
  EXPECT_EQ(Label(bad, "__error__"), "LogfmtParserErr");
  Out some = RunPipeline(R"({app="api"} | logfmt lvl="level")", "level=warn other=1");
  EXPECT_EQ(Label(some, "lvl"), "warn");
  EXPECT_EQ(Label(some, "other"), "<missing>");
}

TEST(PipelineTest, PatternAndRegexp) {
  Out p =
      RunPipeline(R"({app="api"} | pattern "<ip> - <_> [<ts>] \"<method> <path> <_>\" <status>")",
                  R"(10.0.0.1 - - [01/Jan/2024] "GET /x HTTP/1.1" 404)");
  ASSERT_TRUE(p.kept);
  EXPECT_EQ(Label(p, "ip"), "10.0.0.1");
  EXPECT_EQ(Label(p, "ts"), "01/Jan/2024");
  EXPECT_EQ(Label(p, "method"), "GET");
  EXPECT_EQ(Label(p, "path"), "/x");
  EXPECT_EQ(Label(p, "status"), "404");
  EXPECT_EQ(Label(RunPipeline(R"({app="api"} | pattern "<a> <b>")", "nospace"), "a"), "<missing>");
  Out r = RunPipeline(R"({app="api"} | regexp "took (?P<ms>[0-9]+)ms")", "request took 42ms");
  EXPECT_EQ(Label(r, "ms"), "42");
}

TEST(PipelineTest, LabelFilters) {
  struct Case {
    const char* filter;
    bool kept;
  };
  const std::string line =
      R"({"status":"503","dur":"1.5s","size":"12KB","level":"error","n":"abc"})";
  const Case cases[] = {
      {"status >= 500", true},
      {"status > 503", false},
      {"status == 503", true},
      {"status != 503", false},
      {"dur > 1s", true},
      {"dur > 1500ms", false},
      {"size > 10KB", true},
      {"size > 1MB", false},
      {"level=\"error\"", true},
      {"level=~\"err.*\"", true},
      {"level!~\"err.*\"", false},
      {"status >= 500 and level=\"info\"", false},
      {"status >= 500 or level=\"info\"", true},
      {"(status < 500 or level=\"error\"), dur < 2s", true},
      {"missing > 1", false},
      {"missing=\"\"", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(RunPipeline(std::string(R"({app="api"} | json | )") + c.filter, line).kept, c.kept)
        << c.filter;
  }
  Out err = RunPipeline(R"({app="api"} | json | n > 1)", line);
  EXPECT_TRUE(err.kept);
  EXPECT_EQ(Label(err, "__error__"), "LabelFilterErr");
}

TEST(PipelineTest, FormattingAndDropKeep) {
  Out f = RunPipeline(
      R"({app="api"} | logfmt | line_format "{{.status}} {{.path | upper}} {{__line__}}")",
      "status=200 path=/a");
  EXPECT_EQ(f.line, "200 /A status=200 path=/a");
  Out lf =
      RunPipeline(R"({app="api"} | logfmt | label_format code=status, both="{{.app}}-{{.status}}")",
                  "status=200");
  EXPECT_EQ(Label(lf, "code"), "200");
  EXPECT_EQ(Label(lf, "status"), "<missing>");
  EXPECT_EQ(Label(lf, "both"), "api-200");
  Out d = RunPipeline(R"({app="api"} | logfmt | drop a, b="2", c="x")", "a=1 b=2 c=3");
  EXPECT_EQ(d.labels, (Labels{{"app", "api"}, {"c", "3"}, {"env", "prod"}}));
  Out dc = RunPipeline(R"({app="api"} | decolorize)",
                       "\x1b[31mred\x1b[0m plain \x1b[1;32mbold\x1b[m \x1b");
  EXPECT_EQ(dc.line, "red plain bold \x1b");
  Out k = RunPipeline(R"({app="api"} | logfmt | keep app, b)", "a=1 b=2");
  EXPECT_EQ(k.labels, (Labels{{"app", "api"}, {"b", "2"}}));
}

TEST(PipelineTest, StructuredMetadataBehavesAsLabels) {
  Labels md = {{"trace_id", "abc"}, {"app", "meta"}};
  Out out = RunPipeline(R"({app="api"} | trace_id="abc")", "line", md);
  ASSERT_TRUE(out.kept);
  EXPECT_EQ(
      out.labels,
      (Labels{{"app", "api"}, {"app_extracted", "meta"}, {"env", "prod"}, {"trace_id", "abc"}}));
  EXPECT_FALSE(RunPipeline(R"({app="api"} | trace_id="x")", "line", md).kept);
  Out plain = RunPipeline(R"({app="api"} |= "li")", "line", {{"trace_id", "abc"}});
  EXPECT_EQ(Label(plain, "trace_id"), "abc");
}

TEST(PipelineTest, UnwrapExtractsSamples) {
  auto e = Parse(R"(sum_over_time({app="api"} | logfmt | unwrap duration(d) | __error__="" [1m]))");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const MetricExpr& m = *std::get<MetricPtr>(*e);
  Pipeline p(m.range.query, &*m.range.unwrap);
  Labels labels;
  std::string line;
  double v = 0;
  ASSERT_TRUE(p.ProcessSample({{"app", "api"}}, {}, "d=250ms x=1", &labels, &line, &v));
  EXPECT_DOUBLE_EQ(v, 0.25);
  EXPECT_EQ(labels, (Labels{{"app", "api"}, {"x", "1"}}));
  EXPECT_FALSE(p.ProcessSample({{"app", "api"}}, {}, "d=abc", &labels, &line, &v));
  EXPECT_FALSE(p.ProcessSample({{"app", "api"}}, {}, "x=1", &labels, &line, &v));
}

TEST(LogParsersTest, JsonRejectsMalformed) {
  const char* bad[] = {"",    "{",           "{\"a\"}",         "{\"a\":}",    "{\"a\":1,}",
                       "[1]", "{\"a\":1} x", "{\"a\":\"\\q\"}", "{\"a\":tru}", "{\"a\":{\"b\":1}"};
  std::string scratch;
  for (const char* s : bad) {
    EXPECT_FALSE(ParseJsonFields(
                     s, [](auto, auto) {}, &scratch)
                     .ok())
        << s;
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{\"a\":";
  deep += "1" + std::string(100, '}');
  EXPECT_FALSE(ParseJsonFields(
                   deep, [](auto, auto) {}, &scratch)
                   .ok());
}

}  // namespace
}  // namespace quartet::logql

namespace quartet::logql {
namespace {

// Entries as pushed by real clients (/work/shared/fixtures/real-clients/loki:
// 0001 pino-loki with structured metadata, 0004 winston-loki).
TEST(PipelineTest, RealClientEntries) {
  const Labels pino_stream = {{"app", "pino-app"}, {"hostname", "vm"}, {"level", "30"}};
  const std::string pino_line =
      R"({"level":30,"time":1795479939694,"pid":7555,"reqId":"r1","meta":{"trace_id":"abc123"},"msg":"hello from pino"})";
  auto q = Parse(R"({app="pino-app"} | json | trace_id="abc123" and level_extracted < 40)");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Pipeline p(std::get<LogQuery>(*q));
  Labels labels;
  std::string line;
  ASSERT_TRUE(p.Process(pino_stream, {{"trace_id", "abc123"}}, pino_line, &labels, &line));
  EXPECT_EQ(labels, (Labels{{"app", "pino-app"},
                            {"hostname", "vm"},
                            {"level", "30"},
                            {"level_extracted", "30"},
                            {"meta_trace_id", "abc123"},
                            {"msg", "hello from pino"},
                            {"pid", "7555"},
                            {"reqId", "r1"},
                            {"time", "1795479939694"},
                            {"trace_id", "abc123"}}));
  EXPECT_EQ(line, pino_line);

  const Labels winston_stream = {
      {"app", "winston-app"}, {"extra", "x"}, {"level", "info"}, {"mode", "json"}};
  const Labels winston_md = {{"user", "bob"}, {"level", "info"}};
  auto w = Parse(R"({app="winston-app"} | user="bob" | json | __error__="JSONParserErr")");
  ASSERT_TRUE(w.ok());
  Pipeline pw(std::get<LogQuery>(*w));
  ASSERT_TRUE(pw.Process(winston_stream, winston_md,
                         R"(hello from winston {"user":"bob","level":"info"})", &labels, &line));
  EXPECT_NE(std::find(labels.begin(), labels.end(),
                      std::pair<std::string, std::string>{"level_extracted", "info"}),
            labels.end());
}

}  // namespace
}  // namespace quartet::logql
