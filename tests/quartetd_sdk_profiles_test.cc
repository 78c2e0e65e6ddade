// The SDK's own profiles into quartetd (issue 6, must-show 1): a process
// instrumented with libquartet (tests/quartetd_sdk_profiles_app.cc, set up by
// the environment only) pushes its CPU, heap and thread profiles through a
// recording proxy that forwards each upload to the real quartetd and keeps
// what was sent. Per profile type, quartetd's merged flame graph, timeline
// and stored counts over the window must equal the sum of the samples of the
// acknowledged uploads exactly (an upload lost or counted twice fails), the
// series carry the service name, version and environment, and the flame
// graph of one span (span_id=) holds exactly that span's labelled samples:
// the in-span workload, none of the work done outside spans.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "tests/support/http_server.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"
#include "wire/pprof/profile.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kService[] = "sdkshop";
constexpr int kSeconds = 6;

struct Upload {
  std::string name;  // Pyroscope's name parameter: <app>.<kind>{tags}
  int64_t from = 0, until = 0;
  std::string body;
  int status = 0;  // quartetd's answer, passed back to the SDK
};

// Forwards POST /ingest to quartetd and records each request and answer.
class RecordingProxy {
 public:
  explicit RecordingProxy(const Quartetd* q) : q_(q) {
    server_.server().Post("/ingest", [this](const httplib::Request& req, httplib::Response& res) {
      Quartetd::Response r = q_->Post(req.target, req.body, req.get_header_value("Content-Type"));
      res.status = r.status == 0 ? 502 : r.status;
      res.set_content(r.body, "text/plain");
      Upload u;
      u.name = req.get_param_value("name");
      u.from = std::atoll(req.get_param_value("from").c_str());
      u.until = std::atoll(req.get_param_value("until").c_str());
      u.body = req.body;
      u.status = r.status;
      std::lock_guard lock(mu_);
      uploads_.push_back(std::move(u));
    });
  }
  bool Start() { return server_.Start(); }
  std::string url() const { return server_.Url(""); }
  std::vector<Upload> uploads() {
    std::lock_guard lock(mu_);
    return uploads_;
  }

 private:
  const Quartetd* q_;
  TestHttpServer server_;
  std::mutex mu_;
  std::vector<Upload> uploads_;
};

// quartetd's __name__ for the SDK's uploads (docs/formats/profiles.md: the
// sample types decide, then the name's suffix).
std::string NameOf(const Upload& u, const pprof::Profile& p) {
  for (const pprof::ValueType& vt : p.sample_type) {
    std::string_view t = p.StringAt(vt.type);
    if (t == "cpu") return "process_cpu";
    if (t.starts_with("alloc_") || t.starts_with("inuse_")) return "memory";
  }
  std::string app = u.name.substr(0, u.name.find('{'));
  return app.substr(app.rfind('.') + 1);
}

struct Expected {
  int64_t profiles = 0;
  int64_t total = 0;
  std::map<std::string, int64_t> per_span;  // span_id label -> sum
};

std::string TypeId(const std::string& name, const pprof::Profile& p, size_t t) {
  return name + ":" + std::string(p.StringAt(p.sample_type[t].type)) + ":" +
         std::string(p.StringAt(p.sample_type[t].unit)) + ":" +
         std::string(p.StringAt(p.period_type.type)) + ":" +
         std::string(p.StringAt(p.period_type.unit));
}

std::optional<json::Value> GetJson(const Quartetd& q, const std::string& path,
                                   const std::vector<std::pair<std::string, std::string>>& params) {
  Quartetd::Response r = q.Query(path, params);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  Result<json::Value> doc = json::Parse(r.body);
  if (r.status != 200 || !doc.ok()) return std::nullopt;
  return std::move(*doc);
}

std::vector<std::string> Strings(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  for (const json::Value& item : v->items()) out.push_back(item.string_value());
  return out;
}

TEST(QuartetdSdkProfilesTest, SdkProfilesAreMergedExactlyPerTypeAndPerSpan) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  RecordingProxy proxy(&q);
  ASSERT_TRUE(proxy.Start());

  const std::string dir = TempDir("sdk_profiles");
  Process::Options o;
  o.argv = {BinaryPath("quartetd_sdk_profiles_app"), std::to_string(kSeconds)};
  o.env = {{"OTEL_SERVICE_NAME", kService},
           {"OTEL_RESOURCE_ATTRIBUTES", "service.version=2.3.4,deployment.environment=test"},
           {"OTEL_EXPORTER_OTLP_ENDPOINT", q.url("")},
           {"QUARTET_PROFILING_SERVER", proxy.url()},
           {"QUARTET_PROFILING_UPLOAD_INTERVAL", "1000"},
           {"QUARTET_PROFILING_HEAP_INTERVAL", "65536"},
           {"QUARTET_ADMIN_LISTEN", ""}};
  o.stdout_path = dir + "/stdout";
  o.stderr_path = dir + "/stderr";
  const int64_t started = time(nullptr);
  Process app(o);
  ASSERT_TRUE(Process::WaitFor([&] { return !app.running(); }, 90s)) << app.ReadStderr();
  ASSERT_EQ(app.Stop(), 0) << app.ReadStderr();
  const std::string out = app.ReadStdout();
  ASSERT_NE(out.find("done flushed=1"), std::string::npos) << out << app.ReadStderr();
  std::set<std::string> spans;
  {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("span ")) spans.insert(line.substr(5));
    }
  }
  ASSERT_GT(spans.size(), 20u);

  // What was pushed and acknowledged, per profile type.
  std::map<std::string, Expected> want;
  std::map<std::string, int> uploads_per_kind;
  int64_t window_from = INT64_MAX, window_until = 0;
  const std::vector<Upload> uploads = proxy.uploads();
  for (const Upload& u : uploads) {
    ASSERT_EQ(u.status, 200) << u.name;
    Result<pprof::Profile> p = pprof::DecodeMaybeGzip(u.body);
    ASSERT_TRUE(p.ok()) << u.name << ": " << p.status().message();
    const std::string name = NameOf(u, *p);
    ++uploads_per_kind[name];
    ASSERT_TRUE(u.name.starts_with(std::string(kService) + "."));
    window_from = std::min(window_from, u.from);
    window_until = std::max(window_until, u.until);
    for (size_t t = 0; t < p->sample_type.size(); ++t) {
      Expected& e = want[TypeId(name, *p, t)];
      ++e.profiles;
      for (const pprof::Sample& s : p->sample) {
        const int64_t v = t < s.value.size() ? s.value[t] : 0;
        e.total += v;
        for (const pprof::Label& l : s.label) {
          if (p->StringAt(l.key) == "span_id" && v != 0)
            e.per_span[std::string(p->StringAt(l.str))] += v;
        }
      }
    }
  }
  // One CPU profile a second (the last one partial), heap and thread
  // profiles beside them.
  EXPECT_GE(uploads_per_kind["process_cpu"], kSeconds - 1) << uploads.size();
  EXPECT_GE(uploads_per_kind["threads"], 1);
  const std::string cpu_type = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
  ASSERT_TRUE(want.contains(cpu_type));
  ASSERT_GT(want[cpu_type].total, 0);
  ASSERT_FALSE(want[cpu_type].per_span.empty());
  for (const auto& [span, value] : want[cpu_type].per_span) {
    EXPECT_TRUE(spans.contains(span)) << "samples labelled with an unknown span " << span;
  }

  const std::string from = std::to_string(std::min(window_from, started) - 60);
  const std::string until = std::to_string(std::max(window_until, int64_t{time(nullptr)}) + 60);
  const std::string selector = std::string("{service_name=\"") + kService + "\"}";

  // The profile types quartetd lists are exactly those pushed.
  auto types = GetJson(q, "/pyroscope/profile-types",
                       {{"query", selector}, {"from", from}, {"until", until}});
  ASSERT_TRUE(types.has_value());
  std::set<std::string> listed;
  for (const json::Value& t : types->Find("profileTypes")->items()) {
    listed.insert(t.Find("ID")->string_value());
  }
  std::set<std::string> pushed;
  for (const auto& [type, e] : want) pushed.insert(type);
  EXPECT_EQ(listed, pushed);

  // Identity on every series.
  for (const auto& [label, value] : std::vector<std::pair<std::string, std::string>>{
           {"service_name", kService}, {"service_version", "2.3.4"}, {"env", "test"}}) {
    auto values =
        GetJson(q, "/pyroscope/label-values",
                {{"label", label}, {"query", selector}, {"from", from}, {"until", until}});
    ASSERT_TRUE(values.has_value());
    EXPECT_EQ(Strings(&*values), std::vector<std::string>{value}) << label;
  }

  // Per type: stored profiles and sums, the merged flame graph's total and
  // the timeline's sum all equal what was acknowledged.
  for (const auto& [type, e] : want) {
    auto count =
        GetJson(q, "/pyroscope/debug/profile-count", {{"type", type}, {"service_name", kService}});
    ASSERT_TRUE(count.has_value());
    EXPECT_EQ(*count->Find("profiles")->int_value(), e.profiles) << type;
    EXPECT_EQ(*count->Find("total")->int_value(), e.total) << type;
    auto render =
        GetJson(q, "/pyroscope/render",
                {{"query", type + selector}, {"from", from}, {"until", until}, {"maxNodes", "0"}});
    ASSERT_TRUE(render.has_value());
    EXPECT_EQ(*render->Find("flamebearer")->Find("numTicks")->int_value(), e.total) << type;
    int64_t timeline = 0;
    for (const json::Value& v : render->Find("timeline")->Find("samples")->items()) {
      timeline += *v.int_value();
    }
    EXPECT_EQ(timeline, e.total) << type;
  }

  // Per span: the span's flame graph holds exactly its labelled samples: the
  // in-span workload and nothing done outside spans.
  std::vector<std::pair<int64_t, std::string>> by_value;
  for (const auto& [span, value] : want[cpu_type].per_span) by_value.push_back({value, span});
  std::sort(by_value.rbegin(), by_value.rend());
  by_value.resize(std::min<size_t>(by_value.size(), 5));
  for (const auto& [value, span] : by_value) {
    auto render = GetJson(q, "/pyroscope/render",
                          {{"query", cpu_type + selector},
                           {"from", from},
                           {"until", until},
                           {"span_id", span},
                           {"maxNodes", "0"}});
    ASSERT_TRUE(render.has_value());
    EXPECT_EQ(*render->Find("flamebearer")->Find("numTicks")->int_value(), value) << span;
    bool scan = false, outside = false;
    for (const std::string& n : Strings(render->Find("flamebearer")->Find("names"))) {
      scan |= n.find("SdkProfilesScanOrders") != std::string::npos;
      outside |= n.find("SdkProfilesOutsideWork") != std::string::npos;
    }
    EXPECT_TRUE(scan) << span;
    EXPECT_FALSE(outside) << span;
  }
  // And the whole window's flame graph has both workloads.
  auto all = GetJson(
      q, "/pyroscope/render",
      {{"query", cpu_type + selector}, {"from", from}, {"until", until}, {"maxNodes", "0"}});
  ASSERT_TRUE(all.has_value());
  std::string names;
  for (const std::string& n : Strings(all->Find("flamebearer")->Find("names"))) names += n + "\n";
  EXPECT_NE(names.find("SdkProfilesScanOrders"), std::string::npos) << names;
  EXPECT_NE(names.find("SdkProfilesOutsideWork"), std::string::npos);
}

}  // namespace
}  // namespace quartet::testing
