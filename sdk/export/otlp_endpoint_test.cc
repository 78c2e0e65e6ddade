#include "sdk/export/otlp_endpoint.h"

#include <gtest/gtest.h>

#include <map>

namespace quartet::exporter {
namespace {

using std::chrono::milliseconds;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(OtlpEndpointTest, UrlResolution) {
  struct Case {
    Signal signal;
    std::map<std::string, std::string> env;
    std::optional<std::string> override_url;
    std::string want;
  } cases[] = {
      {Signal::kTraces, {}, {}, "http://localhost:4318/v1/traces"},
      {Signal::kLogs, {}, {}, "http://localhost:4318/v1/logs"},
      {Signal::kMetrics, {}, {}, "http://localhost:4318/v1/metrics"},
      {Signal::kProfiles, {}, {}, "http://localhost:4318/v1development/profiles"},
      {Signal::kProfiles,
       {{"OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT", "http://p:1/x"}},
       {},
       "http://p:1/x"},
      {Signal::kTraces,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318"}},
       {},
       "http://col:4318/v1/traces"},
      // A trailing slash does not double; a base path is kept.
      {Signal::kLogs,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://col/otlp/"}},
       {},
       "https://col/otlp/v1/logs"},
      {Signal::kMetrics,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", " http://col:1/x "}},
       {},
       "http://col:1/x/v1/metrics"},
      // Per-signal endpoints are used as-is and win over the base.
      {Signal::kTraces,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"}},
       {},
       "http://t:9/custom"},
      // ...only for their own signal.
      {Signal::kLogs,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"},
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"}},
       {},
       "http://base:4318/v1/logs"},
      // An empty per-signal value means "unset".
      {Signal::kTraces,
       {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ""}},
       {},
       "http://localhost:4318/v1/traces"},
      // Code wins over the environment.
      {Signal::kTraces,
       {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"}},
       "http://code:1/v1/traces",
       "http://code:1/v1/traces"},
  };
  for (const Case& c : cases) {
    OtlpOverrides o;
    o.endpoint = c.override_url;
    auto config = ResolveOtlpEndpoint(c.signal, o, Env(c.env));
    EXPECT_EQ(config.url, c.want);
    EXPECT_TRUE(config.warnings.empty()) << config.warnings.front();
  }
}

TEST(OtlpEndpointTest, NonHttpUrlWarns) {
  auto config =
      ResolveOtlpEndpoint(Signal::kTraces, {}, Env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "col:4317"}}));
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("col:4317"), std::string::npos);
}

TEST(OtlpEndpointTest, HeaderParsing) {
  struct Case {
    std::string in;
    Headers want;
    size_t warnings;
  } cases[] = {
      {"", {}, 0},
      {"a=b", {{"a", "b"}}, 0},
      {"api-key=secret , tenant = t1", {{"api-key", "secret"}, {"tenant", "t1"}}, 0},
      {"Authorization=Basic%20dXNlcjpwYXNz", {{"Authorization", "Basic dXNlcjpwYXNz"}}, 0},
      {"k=a%3Db%2Cc", {{"k", "a=b,c"}}, 0},  // encoded '=' and ',' stay in the value
      {"k=100%", {{"k", "100%"}}, 0},        // a lone '%' is literal
      {"k=", {{"k", ""}}, 0},
      {"novalue,a=b", {{"a", "b"}}, 1},
      {"=v", {}, 1},
      {"bad name=v", {}, 1},
      {"x=evil%0D%0AHost: other", {}, 1},  // header injection is refused
      {",,a=b,,", {{"a", "b"}}, 0},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    EXPECT_EQ(ParseOtlpHeaders(c.in, &warnings), c.want) << c.in;
    EXPECT_EQ(warnings.size(), c.warnings) << c.in;
  }
}

TEST(OtlpEndpointTest, HeadersMergePerKeyWithSignalAndCodeWinning) {
  OtlpOverrides o;
  o.headers = Headers{{"X-Code", "1"}, {"tenant", "code"}};
  auto config = ResolveOtlpEndpoint(Signal::kMetrics, o,
                                    Env({{"OTEL_EXPORTER_OTLP_HEADERS", "tenant=generic,auth=g"},
                                         {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "Auth=m"},
                                         {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "auth=t"}}));
  Headers want = {{"tenant", "code"}, {"auth", "m"}, {"X-Code", "1"}};
  EXPECT_EQ(config.headers, want);
}

TEST(OtlpEndpointTest, CompressionAndTimeout) {
  struct Case {
    std::map<std::string, std::string> env;
    bool gzip;
    milliseconds timeout;
    size_t warnings;
  } cases[] = {
      {{}, false, milliseconds(10000), 0},
      {{{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}}, true, milliseconds(10000), 0},
      {{{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
        {"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "none"}},
       false,
       milliseconds(10000),
       0},
      {{{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}}, false, milliseconds(10000), 1},
      {{{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}}, false, milliseconds(2500), 0},
      {{{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}, {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "700"}},
       false,
       milliseconds(700),
       0},
      {{{"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}}, false, milliseconds(10000), 1},
      {{{"OTEL_EXPORTER_OTLP_TIMEOUT", "-5"}}, false, milliseconds(10000), 1},
      {{{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"}}, false, milliseconds(10000), 1},
  };
  for (const Case& c : cases) {
    auto config = ResolveOtlpEndpoint(Signal::kLogs, {}, Env(c.env));
    EXPECT_EQ(config.gzip, c.gzip);
    EXPECT_EQ(config.timeout, c.timeout);
    EXPECT_EQ(config.warnings.size(), c.warnings);
  }
  OtlpOverrides o;
  o.gzip = false;
  o.timeout = milliseconds(5);
  auto config = ResolveOtlpEndpoint(
      Signal::kLogs, o,
      Env({{"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}, {"OTEL_EXPORTER_OTLP_TIMEOUT", "99"}}));
  EXPECT_FALSE(config.gzip);
  EXPECT_EQ(config.timeout, milliseconds(5));
}

TEST(OtlpEndpointTest, Certificate) {
  auto config =
      ResolveOtlpEndpoint(Signal::kTraces, {},
                          Env({{"OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"},
                               {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/etc/traces-ca.pem"}}));
  EXPECT_EQ(config.ca_file, "/etc/traces-ca.pem");
}

TEST(OtlpEndpointTest, ProcessEnvReadsTheEnvironment) {
  ::setenv("QUARTET_TEST_ONLY_VAR", "v1", 1);
  auto env = ProcessEnv();
  EXPECT_EQ(env("QUARTET_TEST_ONLY_VAR"), std::optional<std::string>("v1"));
  EXPECT_EQ(env("QUARTET_TEST_ONLY_VAR_UNSET_X"), std::nullopt);
}

}  // namespace
}  // namespace quartet::exporter
