#include "wire/prometheus/exposition_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "wire/prometheus/number_format.h"
#include "wire/prometheus/text_format.h"

namespace quartet::prometheus {
namespace {

// An entry flattened to one comparable line, e.g.
//   "3 sample foo{a=\"x\"} 1 @1000 family=foo/counter # {t=\"1\"} 2 @5".
std::string Describe(const ExpositionEntry& e) {
  std::string out = std::to_string(e.line) + " ";
  switch (e.kind) {
    case EntryKind::kHelp:
      return out + "help " + std::string(e.name) + " [" + std::string(e.text) + "]";
    case EntryKind::kUnit:
      return out + "unit " + std::string(e.name) + " [" + std::string(e.text) + "]";
    case EntryKind::kType:
      return out + "type " + std::string(e.name) + " " + std::string(FamilyTypeName(e.type));
    case EntryKind::kSample:
      break;
  }
  out += "sample " + std::string(e.name);
  auto labels = [&](std::span<const LabelRef> ls) {
    out += "{";
    for (size_t i = 0; i < ls.size(); ++i) {
      if (i > 0) out += ",";
      out += std::string(ls[i].name) + "=\"" + std::string(ls[i].value) + "\"";
    }
    out += "}";
  };
  labels(e.labels);
  out += " ";
  AppendGoFloat(e.value, &out);
  if (e.has_timestamp) out += " @" + std::to_string(e.timestamp_ms);
  out += " family=" + std::string(e.family) + "/" + std::string(FamilyTypeName(e.type));
  if (e.is_created) out += " created";
  if (e.has_exemplar) {
    out += " # ";
    labels(e.exemplar_labels);
    out += " ";
    AppendGoFloat(e.exemplar_value, &out);
    if (e.exemplar_has_timestamp) out += " @" + std::to_string(e.exemplar_timestamp_ms);
  }
  return out;
}

struct Parsed {
  std::vector<std::string> entries;
  Status status;
};

Parsed ParseAll(std::string_view input, Format format) {
  Parsed out;
  ExpositionParser parser(input, format);
  ExpositionEntry e;
  while (parser.Next(&e)) out.entries.push_back(Describe(e));
  out.status = parser.status();
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The example of Prometheus' exposition_formats.md, verbatim.
TEST(ExpositionParserTest, Text004DocumentationExample) {
  const char* input = R"(# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
)";
  Parsed p = ParseAll(input, Format::kText004);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(
      Join(p.entries),
      "1 help http_requests_total [The total number of HTTP requests.]\n"
      "2 type http_requests_total counter\n"
      "3 sample http_requests_total{method=\"post\",code=\"200\"} 1027 @1395066363000 "
      "family=http_requests_total/counter\n"
      "4 sample http_requests_total{method=\"post\",code=\"400\"} 3 @1395066363000 "
      "family=http_requests_total/counter\n"
      "7 sample msdos_file_access_time_seconds{path=\"C:\\DIR\\FILE.TXT\",error=\"Cannot "
      "find file:\n\"FILE.TXT\"\"} 1.458255915e+09 family=msdos_file_access_time_seconds/"
      "unknown\n"
      "10 sample metric_without_timestamp_and_labels{} 12.47 "
      "family=metric_without_timestamp_and_labels/unknown\n"
      "13 sample something_weird{problem=\"division by zero\"} +Inf @-3982045 "
      "family=something_weird/unknown\n"
      "16 help http_request_duration_seconds [A histogram of the request duration.]\n"
      "17 type http_request_duration_seconds histogram\n"
      "18 sample http_request_duration_seconds_bucket{le=\"0.05\"} 24054 "
      "family=http_request_duration_seconds/histogram\n"
      "19 sample http_request_duration_seconds_bucket{le=\"+Inf\"} 144320 "
      "family=http_request_duration_seconds/histogram\n"
      "20 sample http_request_duration_seconds_sum{} 53423 "
      "family=http_request_duration_seconds/histogram\n"
      "21 sample http_request_duration_seconds_count{} 144320 "
      "family=http_request_duration_seconds/histogram\n"
      "24 help rpc_duration_seconds [A summary of the RPC duration in seconds.]\n"
      "25 type rpc_duration_seconds summary\n"
      "26 sample rpc_duration_seconds{quantile=\"0.01\"} 3102 "
      "family=rpc_duration_seconds/summary\n"
      "27 sample rpc_duration_seconds_sum{} 1.7560473e+07 family=rpc_duration_seconds/summary\n"
      "28 sample rpc_duration_seconds_count{} 2693 family=rpc_duration_seconds/summary\n");
}

// The exemplar example of the OpenMetrics 1.0 spec, plus UNIT and _created.
TEST(ExpositionParserTest, OpenMetricsSpecExample) {
  const char* input = R"(# TYPE foo histogram
# UNIT foo seconds
# HELP foo A \"quoted\" \\ help\nline.
foo_bucket{le="0.01"} 0
foo_bucket{le="0.1"} 8 # {} 0.054
foo_bucket{le="1"} 11 # {trace_id="KOO5S4vxi0o"} 0.67
foo_bucket{le="10"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
foo_bucket{le="+Inf"} 17
foo_count 17
foo_sum 324789.3
foo_created 1520430000.123
# TYPE acme_http_router_request counter
acme_http_router_request_total{path="/api/v1",method="GET"} 1.0 1520879607.789 # {trace_id="a"} 1 1520879607
acme_http_router_request_created{path="/api/v1",method="GET"} 1520430000.123
# EOF
)";
  Parsed p = ParseAll(input, Format::kOpenMetrics1);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(Join(p.entries),
            "1 type foo histogram\n"
            "2 unit foo [seconds]\n"
            "3 help foo [A \"quoted\" \\ help\nline.]\n"
            "4 sample foo_bucket{le=\"0.01\"} 0 family=foo/histogram\n"
            "5 sample foo_bucket{le=\"0.1\"} 8 family=foo/histogram # {} 0.054\n"
            "6 sample foo_bucket{le=\"1\"} 11 family=foo/histogram # {trace_id=\"KOO5S4vxi0o\"} "
            "0.67\n"
            "7 sample foo_bucket{le=\"10\"} 17 family=foo/histogram # {trace_id=\"oHg5SJYRHA0\"} "
            "9.8 @1520879607789\n"
            "8 sample foo_bucket{le=\"+Inf\"} 17 family=foo/histogram\n"
            "9 sample foo_count{} 17 family=foo/histogram\n"
            "10 sample foo_sum{} 324789.3 family=foo/histogram\n"
            "11 sample foo_created{} 1.520430000123e+09 family=foo/histogram created\n"
            "12 type acme_http_router_request counter\n"
            "13 sample acme_http_router_request_total{path=\"/api/v1\",method=\"GET\"} 1 "
            "@1520879607789 family=acme_http_router_request/counter # {trace_id=\"a\"} 1 "
            "@1520879607000\n"
            "14 sample acme_http_router_request_created{path=\"/api/v1\",method=\"GET\"} "
            "1.520430000123e+09 family=acme_http_router_request/counter created\n");
}

TEST(ExpositionParserTest, SpecialValuesAndGoFloatSyntax) {
  struct Case {
    std::string_view text;
    double want;  // NaN means NaN
  };
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Case ok[] = {
      {"1", 1},      {"-1.5", -1.5},     {"+2", 2},     {".5", 0.5},    {"1.", 1},
      {"1e3", 1000}, {"1E-3", 0.001},    {"+Inf", inf}, {"-Inf", -inf}, {"Inf", inf},
      {"inf", inf},  {"+infinity", inf}, {"NaN", nan},  {"nan", nan},   {"1e-400", 0},
      {"0.1", 0.1},  {"007", 7},
  };
  for (const Case& c : ok) {
    double v = 0;
    ASSERT_TRUE(ParseGoFloat(c.text, &v)) << c.text;
    if (std::isnan(c.want)) {
      EXPECT_TRUE(std::isnan(v)) << c.text;
    } else {
      EXPECT_EQ(v, c.want) << c.text;
    }
  }
  for (std::string_view bad :
       {"", "+", "-", "1e", "e1", "0x1p-2", "0x10", "1_000", "+NaN", "-nan", "nan(1)", "1e400",
        "-1e400", "+-1", "1.2.3", " 1", "1 ", "Infx", "in"}) {
    double v;
    EXPECT_FALSE(ParseGoFloat(bad, &v)) << bad;
  }
}

TEST(ExpositionParserTest, Text004Leniency) {
  // Blank lines, leading blanks, tabs, comments, a trailing comma, blanks
  // inside braces, no final newline: all accepted as Prometheus does.
  Parsed p = ParseAll(
      "\n  # just a comment\n#HELP not metadata\n# TYPE x\tgauge  \n\tx { a = \"1\" , } \t 2\t"
      "\ny{} 3 -7",
      Format::kText004);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(Join(p.entries),
            "4 type x gauge\n"
            "5 sample x{a=\"1\"} 2 family=x/gauge\n"
            "6 sample y{} 3 @-7 family=y/unknown\n");
}

TEST(ExpositionParserTest, ErrorsNameTheLineAndWhatWasExpected) {
  struct Case {
    Format format;
    std::string_view input;
    std::string_view message;
  };
  const Format t = Format::kText004, om = Format::kOpenMetrics1;
  const Case cases[] = {
      {t, "a 1\n1abc 2\n", "line 2: expected metric name, got \"1abc\""},
      {t, "a{1x=\"1\"} 2\n", "line 1: expected label name, got \"1x\""},
      {t, "a{x:=\"1\"} 2\n", "line 1: expected equal, got \":\""},
      {t, "a{x=1} 2\n", "line 1: expected label value, got \"1\""},
      {t, "a{x=\"1} 2\n", "line 1: expected closing quote of the label value, got end of line"},
      {t, "a{x=\"1\" y=\"2\"} 2\n", "line 1: expected comma or closing brace, got \"y\""},
      {t, "a\n", "line 1: expected value after metric, got end of line"},
      {t, "a{} x\n", "line 1: invalid float value \"x\""},
      {t, "a 1 1.5\n", "line 1: expected timestamp or new record, got \"1.5\""},
      {t, "a 1 +-2\n", "line 1: expected timestamp or new record, got \"+-2\""},
      {t, "a 1 2 3\n", "line 1: expected next entry after timestamp, got \"3\""},
      {t, "a 1 # {t=\"1\"} 1\n", "line 1: expected timestamp or new record, got \"#\""},
      {t, "# TYPE a counting\n", "line 1: invalid metric type \"counting\""},
      {t, "# TYPE a info\n", "line 1: invalid metric type \"info\""},
      {t, "# HELP 9a x\n", "line 1: expected metric name after HELP, got \"9a\""},
      {t, "a{x=\"\xff\"} 1\n", "line 1: invalid UTF-8 label value"},
      {t, "# HELP a \xc0\xaf\n", "line 1: help text of a is not valid UTF-8"},
      {om, "a 1\n", "line 2: data does not end with # EOF"},
      {om, "a 1\n# EOF\nb 2\n", "line 3: unexpected data after # EOF"},
      {om, "# random comment\n# EOF\n",
       "line 1: expected \"# HELP \", \"# TYPE \", \"# UNIT \" or \"# EOF\", got \"# random "
       "comment\""},
      {om, "a  1\n# EOF\n", "line 1: expected value after metric, got \" \""},
      {om, "a{x=\"1\",} 1\n# EOF\n", "line 1: expected label name, got \"}\""},
      {om, "a 1 # {t=\"1\"}\n# EOF\n",
       "line 1: expected a space and the exemplar value, got end of line"},
      {om, "a 1 # {t=\"1\"} 1 2 3\n# EOF\n",
       "line 1: expected end of line after the exemplar, got \"3\""},
      {om, "a 1 NaN\n# EOF\n", "line 1: invalid timestamp \"NaN\""},
      {om, "\n# EOF\n", "line 1: expected metric name, got end of line"},
      {om, "# TYPE a untyped\n# EOF\n", "line 1: invalid metric type \"untyped\""},
      {om, "# UNIT a sec-onds\n# EOF\n", "line 1: invalid unit \"sec-onds\""},
      {om, "a 1\n# EOF", ""},  // valid: the final newline is optional after # EOF
      {om, "a 1",
       "line 1: line does not end with a newline (an OpenMetrics exposition ends "
       "with # EOF)"},
  };
  for (const Case& c : cases) {
    Parsed p = ParseAll(c.input, c.format);
    EXPECT_EQ(p.status.message(), c.message) << c.input;
    if (!c.message.empty()) {
      EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(ExpositionParserTest, TimestampsBecomeMilliseconds) {
  struct Case {
    std::string_view ts;
    int64_t ms;
  };
  const Case cases[] = {{"1690000000.123", 1690000000123}, {"1690000000.1239", 1690000000123},
                        {"1690000000", 1690000000000},     {"-1.5", -1500},
                        {"1.69e9", 1690000000000},         {"0.0005", 0}};
  for (const Case& c : cases) {
    std::string input = "a 1 " + std::string(c.ts) + "\n# EOF\n";
    ExpositionParser parser(input, Format::kOpenMetrics1);
    ExpositionEntry e;
    ASSERT_TRUE(parser.Next(&e)) << parser.status().ToString();
    EXPECT_TRUE(e.has_timestamp);
    EXPECT_EQ(e.timestamp_ms, c.ms) << c.ts;
  }
}

TEST(ExpositionParserTest, ContentTypeChoosesTheFormat) {
  EXPECT_EQ(
      FormatForScrapeContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"),
      Format::kOpenMetrics1);
  EXPECT_EQ(FormatForScrapeContentType("Application/OpenMetrics-Text"), Format::kOpenMetrics1);
  EXPECT_EQ(FormatForScrapeContentType("text/plain; version=0.0.4"), Format::kText004);
  EXPECT_EQ(FormatForScrapeContentType(""), Format::kText004);
  EXPECT_EQ(FormatForScrapeContentType("garbage;;"), Format::kText004);
}

// What the SDK's writers produce parses back to the same families, samples
// and exemplars, in both formats.
TEST(ExpositionParserTest, RoundTripsTheSdkWriters) {
  Family requests{"http_requests", "Requests \"served\"\\ by\nroute.", MetricType::kCounter, {}};
  Point p1;
  p1.labels = {{"route", "/a\\b\"c\nd \xc3\xa9"}, {"code", "200"}};
  p1.value = 1027;
  p1.exemplar =
      Exemplar{{{"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"}}, 1, 1700000000123000000};
  requests.points.push_back(p1);
  Family latency{"latency_seconds", "Latency.", MetricType::kHistogram, {}};
  Point h;
  h.labels = {{"route", "/a"}};
  h.buckets = {{0.1, 3, Exemplar{{{"trace_id", "x"}, {"span_id", "y"}}, 0.05, 1700000000500000000}},
               {1, 5, std::nullopt},
               {std::numeric_limits<double>::infinity(), 6, std::nullopt}};
  h.sum = 2.5;
  h.count = 6;
  latency.points.push_back(h);
  Family temp{"temp_celsius", "", MetricType::kGauge, {}};
  Point g;
  g.value = -3.25e-7;
  temp.points.push_back(g);
  std::vector<Family> families = {requests, latency, temp};

  for (Format format : {Format::kText004, Format::kOpenMetrics1}) {
    bool om = format == Format::kOpenMetrics1;
    std::string text = om ? WriteOpenMetrics(families) : WriteText004(families);
    ExpositionParser parser(text, format);
    ExpositionEntry e;
    std::map<std::string, std::string> help, type;
    std::vector<std::string> samples;
    while (parser.Next(&e)) {
      if (e.kind == EntryKind::kHelp) help[std::string(e.name)] = e.text;
      if (e.kind == EntryKind::kType) type[std::string(e.name)] = FamilyTypeName(e.type);
      if (e.kind != EntryKind::kSample) continue;
      std::string s = std::string(e.family) + " " + std::string(e.name);
      for (const LabelRef& l : e.labels)
        s += " " + std::string(l.name) + "=" + std::string(l.value);
      s += " " + std::to_string(e.value);
      if (e.has_exemplar) {
        s += " #";
        for (const LabelRef& l : e.exemplar_labels) {
          s += " " + std::string(l.name) + "=" + std::string(l.value);
        }
        s += " " + std::to_string(e.exemplar_value) + " " + std::to_string(e.exemplar_timestamp_ms);
      }
      samples.push_back(s);
    }
    ASSERT_TRUE(parser.status().ok()) << parser.status().ToString() << "\n" << text;
    std::string counter = om ? "http_requests" : "http_requests_total";
    EXPECT_EQ(help[counter], requests.help) << text;
    EXPECT_EQ(type[counter], "counter");
    EXPECT_EQ(type["latency_seconds"], "histogram");
    EXPECT_EQ(type["temp_celsius"], "gauge");
    std::string ex1 =
        om ? " # trace_id=4bf92f3577b34da6a3ce929d0e0e4736 1.000000 1700000000123" : "";
    std::string ex2 = om ? " # trace_id=x span_id=y 0.050000 1700000000500" : "";
    std::vector<std::string> want = {
        counter + " http_requests_total route=/a\\b\"c\nd \xc3\xa9 code=200 1027.000000" + ex1,
        "latency_seconds latency_seconds_bucket route=/a le=0.1 3.000000" + ex2,
        "latency_seconds latency_seconds_bucket route=/a le=1 5.000000",
        "latency_seconds latency_seconds_bucket route=/a le=+Inf 6.000000",
        "latency_seconds latency_seconds_sum route=/a 2.500000",
        "latency_seconds latency_seconds_count route=/a 6.000000",
        "temp_celsius temp_celsius -0.000000",
    };
    if (om) want[2] = "latency_seconds latency_seconds_bucket route=/a le=1.0 5.000000";
    EXPECT_EQ(samples, want) << text;
  }
}

TEST(ExpositionParserTest, EntriesStayValidUntilTheNextCall) {
  // Several escaped values on one line must not overwrite one another.
  std::string input = "a{x=\"\\\\1\",y=\"\\\"2\",z=\"\\n3\"} 1 # {q=\"\\\\4\"} 2\n# EOF\n";
  ExpositionParser parser(input, Format::kOpenMetrics1);
  ExpositionEntry e;
  ASSERT_TRUE(parser.Next(&e)) << parser.status().ToString();
  ASSERT_EQ(e.labels.size(), 3u);
  EXPECT_EQ(e.labels[0].value, "\\1");
  EXPECT_EQ(e.labels[1].value, "\"2");
  EXPECT_EQ(e.labels[2].value, "\n3");
  EXPECT_EQ(e.exemplar_labels[0].value, "\\4");
  EXPECT_FALSE(parser.Next(&e));
  EXPECT_TRUE(parser.status().ok());
}

}  // namespace
}  // namespace quartet::prometheus
