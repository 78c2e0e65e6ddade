#include "tools/quartet/doctor/checks.h"

#include <gtest/gtest.h>

#include <map>

namespace quartet::doctor {
namespace {

// A server answering by path prefix (longest match wins); 404 otherwise.
class FakeServer {
 public:
  void Answer(std::string prefix, std::string body, int status = 200) {
    routes_[std::move(prefix)] = {status, std::move(body)};
  }
  Api api() {
    return [this](const std::string& path) {
      const ApiResponse* best = nullptr;
      size_t best_len = 0;
      for (const auto& [prefix, response] : routes_) {
        if (path.starts_with(prefix) && prefix.size() >= best_len) {
          best = &response;
          best_len = prefix.size();
        }
      }
      return best ? *best : ApiResponse{404, "not found"};
    };
  }

 private:
  std::map<std::string, ApiResponse> routes_;
};

Finding Find(const std::vector<Finding>& findings, std::string_view check) {
  for (const Finding& f : findings) {
    if (f.check == check) return f;
  }
  ADD_FAILURE() << "no finding for " << check;
  return {};
}

// A healthy system: one name everywhere, linked logs, exemplars, versions.
void Healthy(FakeServer& s) {
  s.Answer("/api/search/tag/service.name/values", R"({"tagValues":["checkout"]})");
  s.Answer("/api/search/tag/service.version/values", R"({"tagValues":["1.0.0"]})");
  s.Answer("/loki/api/v1/label/service_name/values", R"({"status":"success","data":["checkout"]})");
  s.Answer("/api/v1/label/job/values", R"({"status":"success","data":["checkout"]})");
  s.Answer("/api/v1/label/service_name/values", R"({"status":"success","data":[]})");
  s.Answer("/api/v1/label/service/values", R"({"status":"success","data":[]})");
  s.Answer("/pyroscope/label-values?label=service_name", R"(["checkout"])");
  s.Answer("/pyroscope/label-values?label=service_version", R"(["1.0.0"])");
  s.Answer("/loki/api/v1/query_range",
           R"({"status":"success","data":{"resultType":"streams","result":[)"
           R"({"stream":{"service_name":"checkout","trace_id":"aa","sampled":"true"},)"
           R"("values":[["1500","a"],["1600","b"],["1700","c"]]},)"
           R"({"stream":{"service_name":"checkout","trace_id":"bb","sampled":"false"},)"
           R"("values":[["1500","d"]]}]}})");
  s.Answer(
      "/api/v1/traces/aa/summary",
      R"({"status":"success","data":{"startTimeUnixNano":"1000","endTimeUnixNano":"2000","spanCount":1}})");
  s.Answer(
      "/api/v1/series?match[]=%7B__name__%3D~%22.%2B_bucket%22%7D",
      R"({"status":"success","data":[{"__name__":"http_server_request_duration_seconds_bucket","le":"1"}]})");
  s.Answer(
      "/api/v1/query_exemplars",
      R"({"status":"success","data":[{"seriesLabels":{},"exemplars":[{"labels":{"trace_id":"aa"},"value":"1","timestamp":1}]}]})");
  s.Answer("/api/annotations",
           R"([{"id":1,"time":1000,"tags":["deploy","version=1.0.0"],"text":"x"}])");
  s.Answer(
      "/api/v1/series?match[]=%7B__name__%3D~%22quartet_sdk_",
      R"({"status":"success","data":[{"__name__":"quartet_sdk_spans_dropped_total","job":"checkout"}]})");
  s.Answer(
      "/api/v1/query?",
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"checkout"},"value":[1,"0"]}]}})");
}

TEST(DoctorChecks, AHealthySystemHasNoProblems) {
  FakeServer s;
  Healthy(s);
  std::vector<Finding> findings = RunChecks(s.api(), {.from_s = 0, .to_s = 100}, "");
  for (const Finding& f : findings) {
    EXPECT_TRUE(f.severity == Severity::kOk) << f.check << ": " << f.summary;
  }
  EXPECT_EQ(findings.size(), 6u);
}

TEST(DoctorChecks, NamesThatDifferOnlyInPunctuationAreOneServiceSpelledTwice) {
  EXPECT_EQ(CanonicalServiceName("Payment-API"), CanonicalServiceName("payment_api"));
  EXPECT_NE(CanonicalServiceName("payment"), CanonicalServiceName("payment_api"));
  FakeServer s;
  Healthy(s);
  s.Answer("/api/search/tag/service.name/values", R"({"tagValues":["payment_api","checkout"]})");
  s.Answer("/loki/api/v1/label/service_name/values",
           R"({"status":"success","data":["payment-api","checkout"]})");
  Finding f = Find(RunChecks(s.api(), {0, 100}, ""), "service-name");
  EXPECT_EQ(f.severity, Severity::kProblem);
  ASSERT_FALSE(f.detail.empty());
  std::string all;
  for (const std::string& d : f.detail) all += d + "\n";
  EXPECT_NE(all.find("\"payment-api\" (logs) vs \"payment_api\" (traces)"), std::string::npos)
      << all;
  EXPECT_FALSE(f.fix.empty());
}

TEST(DoctorChecks, SampledLinesWithoutTracesAreLostSpansUnsampledOnesAreExplained) {
  FakeServer s;
  Healthy(s);
  s.Answer(
      "/loki/api/v1/query_range",
      R"({"status":"success","data":{"result":[)"
      R"({"stream":{"trace_id":"cc","sampled":"true"},"values":[["1","a"],["2","b"],["3","c"]]},)"
      R"({"stream":{"trace_id":"dd"},"values":[["1","{\"sampled\":false}"]]}]}})");
  Finding lost = Find(RunChecks(s.api(), {0, 100}, ""), "trace-links");
  EXPECT_EQ(lost.severity, Severity::kProblem);
  EXPECT_NE(lost.summary.find("100%"), std::string::npos) << lost.summary;

  s.Answer(
      "/loki/api/v1/query_range",
      R"({"status":"success","data":{"result":[)"
      R"({"stream":{"trace_id":"dd"},"values":[["1","{\"sampled\":false}"],["2","{\"sampled\":false}"],["3","{\"sampled\":false}"]]}]}})");
  EXPECT_EQ(Find(RunChecks(s.api(), {0, 100}, ""), "trace-links").severity, Severity::kOk);

  s.Answer("/loki/api/v1/query_range",
           R"({"status":"success","data":{"result":[)"
           R"({"stream":{"trace_id":"ee"},"values":[["1","x"],["2","y"],["3","z"]]}]}})");
  EXPECT_EQ(Find(RunChecks(s.api(), {0, 100}, ""), "trace-links").severity, Severity::kWarning);
}

TEST(DoctorChecks, LogLinesFarFromTheirSpansAreClockSkew) {
  FakeServer s;
  Healthy(s);
  // The trace spans [1000, 2000] ns; the lines are 5 s later.
  s.Answer("/loki/api/v1/query_range",
           R"({"status":"success","data":{"result":[{"stream":{"trace_id":"aa","sampled":"true"},)"
           R"("values":[["5000001000","a"],["5000001500","b"],["5000002000","c"]]}]}})");
  Finding f = Find(RunChecks(s.api(), {0, 100}, ""), "clock-skew");
  EXPECT_EQ(f.severity, Severity::kProblem);
  EXPECT_NE(f.summary.find("5.0 s"), std::string::npos) << f.summary;
}

TEST(DoctorChecks, LatencyHistogramsWithoutExemplarsAreNamed) {
  FakeServer s;
  Healthy(s);
  s.Answer("/api/v1/query_exemplars", R"({"status":"success","data":[]})");
  Finding f = Find(RunChecks(s.api(), {0, 100}, ""), "exemplars");
  EXPECT_EQ(f.severity, Severity::kProblem);
  EXPECT_NE(f.summary.find("http_server_request_duration_seconds_bucket"), std::string::npos);
}

TEST(DoctorChecks, MissingVersionsAreNamedBySignal) {
  FakeServer s;
  Healthy(s);
  s.Answer("/pyroscope/label-values?label=service_version", "[]");
  s.Answer("/api/annotations", R"([{"id":1,"time":1000,"tags":["deploy"],"text":"x"}])");
  Finding f = Find(RunChecks(s.api(), {0, 100}, ""), "version");
  EXPECT_EQ(f.severity, Severity::kProblem);
  EXPECT_NE(f.summary.find("profiles, annotations"), std::string::npos) << f.summary;
}

TEST(DoctorChecks, ExporterDropsAreProblemsAndAbsentSelfMetricsAreSkipped) {
  FakeServer s;
  Healthy(s);
  s.Answer(
      "/api/v1/query?",
      R"({"status":"success","data":{"result":[{"metric":{"job":"checkout"},"value":[1,"42"]}]}})");
  Finding f = Find(RunChecks(s.api(), {0, 100}, ""), "exporter-drops");
  EXPECT_EQ(f.severity, Severity::kProblem);
  ASSERT_EQ(f.detail.size(), 1u);
  EXPECT_EQ(f.detail[0], "checkout: quartet_sdk_spans_dropped_total increased by 42");

  s.Answer("/api/v1/series?match[]=%7B__name__%3D~%22quartet_sdk_",
           R"({"status":"success","data":[]})");
  EXPECT_EQ(Find(RunChecks(s.api(), {0, 100}, ""), "exporter-drops").severity, Severity::kSkipped);
}

}  // namespace
}  // namespace quartet::doctor
