#include "sdk/init/resolve.h"

#include <gtest/gtest.h>

#include <map>

namespace quartet::init_internal {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string Attr(const Settings& s, std::string_view key) {
  for (const auto& [k, v] : s.resource) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST(ResolveTest, DefaultsWithEmptyEnvironment) {
  Settings s = Resolve(Config{}, FakeEnv({}));
  EXPECT_EQ(s.service_name, "unknown_service");
  EXPECT_EQ(s.traces_endpoint.url, "http://localhost:4318/v1/traces");
  EXPECT_EQ(s.logs_endpoint.url, "http://localhost:4318/v1/logs");
  EXPECT_EQ(s.sampler.kind, trace_internal::SamplerKind::kParentBasedAlwaysOn);
  EXPECT_EQ(s.max_queue_size, 2048u);
  EXPECT_EQ(s.max_export_batch_size, 512u);
  EXPECT_EQ(s.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(s.admin_listen, "127.0.0.1:9464");
  EXPECT_TRUE(s.export_traces);
  EXPECT_TRUE(s.export_logs);  // the spec's default, so a collector gets logs with traces
  EXPECT_EQ(Attr(s, "telemetry.sdk.name"), "quartet");
  EXPECT_EQ(Attr(s, "telemetry.sdk.language"), "cpp");
  EXPECT_NE(Attr(s, "process.pid"), "<absent>");
  EXPECT_TRUE(s.warnings.empty());
}

TEST(ResolveTest, EnvironmentFillsUnsetFields) {
  Settings s =
      Resolve(Config{}, FakeEnv({
                            {"OTEL_RESOURCE_ATTRIBUTES",
                             "service.name=from-attrs,service.version=1.2.3,"
                             "deployment.environment=prod,team=pay%20ments"},
                            {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"},
                            {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                            {"OTEL_TRACES_SAMPLER_ARG", "0.1"},
                            {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                            {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"},
                            {"OTEL_BSP_SCHEDULE_DELAY", "250"},
                            {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                            {"OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=a,authorization=Bearer%20t"},
                        }));
  EXPECT_EQ(s.service_name, "from-attrs");
  EXPECT_EQ(s.service_version, "1.2.3");
  EXPECT_EQ(s.environment, "prod");
  EXPECT_EQ(Attr(s, "team"), "pay ments");
  EXPECT_EQ(Attr(s, "deployment.environment.name"), "prod");
  EXPECT_EQ(s.traces_endpoint.url, "http://collector:4318/v1/traces");
  EXPECT_EQ(s.sampler.kind, trace_internal::SamplerKind::kParentBasedTraceIdRatio);
  EXPECT_DOUBLE_EQ(s.sampler.ratio, 0.1);
  EXPECT_EQ(s.max_queue_size, 100u);
  EXPECT_EQ(s.max_export_batch_size, 10u);
  EXPECT_EQ(s.schedule_delay, std::chrono::milliseconds(250));
  EXPECT_TRUE(s.traces_endpoint.gzip);
  ASSERT_EQ(s.traces_endpoint.headers.size(), 2u);
  EXPECT_EQ(s.traces_endpoint.headers[1].second, "Bearer t");
}

TEST(ResolveTest, ServiceNamePrecedence) {
  auto env = FakeEnv(
      {{"OTEL_SERVICE_NAME", "from-env"}, {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}});
  EXPECT_EQ(Resolve(Config{}, env).service_name, "from-env");
  Config config;
  config.service_name = "checkout";
  Settings s = Resolve(config, env);
  EXPECT_EQ(s.service_name, "checkout");
  // One canonical name: the resource carries exactly what every signal uses.
  EXPECT_EQ(Attr(s, "service.name"), "checkout");
}

TEST(ResolveTest, CodeWinsOverEnvironment) {
  Config config;
  config.sampler = "always_off";
  config.max_queue_size = 7;
  config.otlp_endpoint = "http://code:4318/";
  config.admin_listen = "";
  Settings s = Resolve(config, FakeEnv({{"OTEL_TRACES_SAMPLER", "always_on"},
                                        {"OTEL_BSP_MAX_QUEUE_SIZE", "99"},
                                        {"QUARTET_ADMIN_LISTEN", "0.0.0.0:1"}}));
  EXPECT_EQ(s.sampler.kind, trace_internal::SamplerKind::kAlwaysOff);
  EXPECT_EQ(s.max_queue_size, 7u);
  EXPECT_EQ(s.traces_endpoint.url, "http://code:4318/v1/traces");
  EXPECT_EQ(s.admin_listen, "");
}

TEST(ResolveTest, BadValuesWarnAndKeepDefaults) {
  Settings s = Resolve(Config{}, FakeEnv({{"OTEL_TRACES_SAMPLER", "sometimes"},
                                          {"OTEL_TRACES_SAMPLER_ARG", "1.5"},
                                          {"OTEL_BSP_MAX_QUEUE_SIZE", "-3"},
                                          {"OTEL_SDK_DISABLED", "yes"},
                                          {"OTEL_RESOURCE_ATTRIBUTES", "novalue,=x,ok=1"}}));
  EXPECT_EQ(s.sampler.kind, trace_internal::SamplerKind::kParentBasedAlwaysOn);
  EXPECT_DOUBLE_EQ(s.sampler.ratio, 1.0);
  EXPECT_EQ(s.max_queue_size, 2048u);
  EXPECT_FALSE(s.disabled);
  EXPECT_EQ(Attr(s, "ok"), "1");
  // sampler+arg, queue size, disabled, and two bad attribute members.
  EXPECT_EQ(s.warnings.size(), 5u);
}

TEST(ResolveTest, DisabledTurnsOffExportAndAdmin) {
  Settings s =
      Resolve(Config{}, FakeEnv({{"OTEL_SDK_DISABLED", "true"}, {"OTEL_LOGS_EXPORTER", "otlp"}}));
  EXPECT_TRUE(s.disabled);
  EXPECT_FALSE(s.export_traces);
  EXPECT_FALSE(s.export_logs);
  EXPECT_EQ(s.admin_listen, "");
}

TEST(ResolveTest, AlwaysSampledRoutesFromEnvironment) {
  Settings s = Resolve(Config{}, FakeEnv({{"QUARTET_ALWAYS_SAMPLED_ROUTES", "/checkout, /pay"}}));
  EXPECT_EQ(s.sampler.always_sampled_routes, (std::vector<std::string>{"/checkout", "/pay"}));
}

// Profiling is on where there is somewhere to send profiles (our variable,
// else Pyroscope's own), can be forced either way, and is off with the SDK.
TEST(ResolveTest, ProfilingFollowsTheServerAddress) {
  EXPECT_FALSE(Resolve(Config{}, FakeEnv({})).profiling);
  Settings pyroscope =
      Resolve(Config{}, FakeEnv({{"PYROSCOPE_SERVER_ADDRESS", "http://pyro:4040"}}));
  EXPECT_TRUE(pyroscope.profiling);
  EXPECT_EQ(pyroscope.profiling_server, "http://pyro:4040");
  Settings ours = Resolve(Config{}, FakeEnv({{"PYROSCOPE_SERVER_ADDRESS", "http://pyro:4040"},
                                             {"QUARTET_PROFILING_SERVER", "http://q:4318"},
                                             {"QUARTET_PROFILING_CPU_HZ", "250"}}));
  EXPECT_EQ(ours.profiling_server, "http://q:4318");
  EXPECT_EQ(ours.profiling_cpu_hz, 250);
  Settings off = Resolve(Config{}, FakeEnv({{"PYROSCOPE_SERVER_ADDRESS", "http://pyro:4040"},
                                            {"QUARTET_PROFILING", "false"}}));
  EXPECT_FALSE(off.profiling);
  Config code;
  code.profiling = true;
  Settings admin_only = Resolve(code, FakeEnv({}));
  EXPECT_TRUE(admin_only.profiling);
  EXPECT_EQ(admin_only.profiling_server, "");
  Settings bad = Resolve(Config{}, FakeEnv({{"QUARTET_PROFILING_CPU_HZ", "5000"}}));
  EXPECT_EQ(bad.profiling_cpu_hz, 100);
  EXPECT_EQ(bad.warnings.size(), 1u);
  EXPECT_FALSE(Resolve(code, FakeEnv({{"OTEL_SDK_DISABLED", "true"}})).profiling);
}

// Heap and thread profiles: on by default, switched and tuned from code or
// the environment; a bad interval is reported and ignored.
TEST(ResolveTest, HeapAndThreadProfilingSettings) {
  Settings d = Resolve(Config{}, FakeEnv({}));
  EXPECT_TRUE(d.profiling_heap);
  EXPECT_EQ(d.profiling_heap_interval, 512u * 1024);
  EXPECT_TRUE(d.profiling_threads);
  Settings env = Resolve(Config{}, FakeEnv({{"QUARTET_PROFILING_HEAP", "false"},
                                            {"QUARTET_PROFILING_HEAP_INTERVAL", "65536"},
                                            {"QUARTET_PROFILING_THREADS", "false"}}));
  EXPECT_FALSE(env.profiling_heap);
  EXPECT_EQ(env.profiling_heap_interval, 65536u);
  EXPECT_FALSE(env.profiling_threads);
  Config code;
  code.profiling_heap_interval = 4096;
  EXPECT_EQ(Resolve(code, FakeEnv({{"QUARTET_PROFILING_HEAP_INTERVAL", "65536"}}))
                .profiling_heap_interval,
            4096u);
  Settings bad = Resolve(Config{}, FakeEnv({{"QUARTET_PROFILING_HEAP_INTERVAL", "0"}}));
  EXPECT_EQ(bad.profiling_heap_interval, 512u * 1024);
  EXPECT_EQ(bad.warnings.size(), 1u);
}

}  // namespace
}  // namespace quartet::init_internal
