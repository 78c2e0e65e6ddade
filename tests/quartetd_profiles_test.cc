// Profiles into quartetd over Pyroscope's /ingest: the real @pyroscope/nodejs
// client (tests/peers/pyroscope_sender.js) pushes wall/CPU and heap profiles;
// quartetd must hold, per profile type, exactly the sum of the sample values
// of the uploads it acknowledged (read back through
// /pyroscope/debug/profile-count until the query API lands), and still hold
// them after kill -9. A second test kills quartetd while profiles are being
// pushed and checks every acknowledged one is there after the restart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"
#include "wire/pprof/builder.h"
#include "wire/pprof/profile.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

// quartetd's __name__ for a pprof without a type suffix in its app name
// (docs/formats/profiles.md).
std::string NameOf(const pprof::Profile& p) {
  bool wall = false, cpu = false, memory = false;
  for (const pprof::ValueType& vt : p.sample_type) {
    std::string_view t = p.StringAt(vt.type);
    wall |= t == "wall";
    cpu |= t == "cpu";
    memory |= t == "objects" || t == "space" || t.starts_with("alloc_") || t.starts_with("inuse_");
  }
  return wall ? "wall" : cpu ? "process_cpu" : memory ? "memory" : "unknown";
}

// Sum of the sample values and number of profiles per profile type id.
void AddTotals(const pprof::Profile& p, std::map<std::string, int64_t>* totals,
               std::map<std::string, int64_t>* counts) {
  for (size_t t = 0; t < p.sample_type.size(); ++t) {
    const std::string id = NameOf(p) + ":" + std::string(p.StringAt(p.sample_type[t].type)) + ":" +
                           std::string(p.StringAt(p.sample_type[t].unit)) + ":" +
                           std::string(p.StringAt(p.period_type.type)) + ":" +
                           std::string(p.StringAt(p.period_type.unit));
    ++(*counts)[id];
    int64_t& sum = (*totals)[id];
    for (const pprof::Sample& s : p.sample) sum += t < s.value.size() ? s.value[t] : 0;
  }
}

std::pair<int64_t, int64_t> Stored(const Quartetd& q, const std::string& type,
                                   const std::string& service) {
  Quartetd::Response r =
      q.Query("/pyroscope/debug/profile-count", {{"type", type}, {"service_name", service}});
  EXPECT_EQ(r.status, 200) << r.body;
  auto doc = json::Parse(r.body);
  if (!doc.ok() || !doc->is_object()) return {-1, -1};
  return {*doc->Find("profiles")->int_value(), *doc->Find("total")->int_value()};
}

TEST(QuartetdProfilesTest, PyroscopeNodejsProfilesAreStoredExactlyAndSurviveKill9) {
  ASSERT_EQ(access(SourcePath("tests/peers/node_modules/@pyroscope/nodejs").c_str(), R_OK), 0)
      << "npm peers missing: run ./setup";
  Quartetd q;
  ASSERT_TRUE(q.ready());
  const std::string dir = TempDir("pyroscope_nodejs");
  const std::string cmd = "cd " + SourcePath("tests/peers") + " && node pyroscope_sender.js " +
                          q.url("") + " nodeshop 6 " + dir + " > " + dir + "/out 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir + "/out");

  std::map<std::string, int64_t> sent;
  std::map<std::string, int64_t> profiles;
  int uploads = 0;
  for (int i = 0; std::filesystem::exists(dir + "/upload_" + std::to_string(i) + ".body"); ++i) {
    const std::string base = dir + "/upload_" + std::to_string(i);
    ASSERT_EQ(ReadFile(base + ".status"), "200") << ReadFile(base + ".url");
    Result<pprof::Profile> p = pprof::DecodeMaybeGzip(ReadFile(base + ".body"));
    ASSERT_TRUE(p.ok()) << p.status().message();
    AddTotals(*p, &sent, &profiles);
    ++uploads;
  }
  ASSERT_GE(uploads, 4) << ReadFile(dir + "/out");
  // @pyroscope/nodejs 0.6: wall profiles with samples, wall and cpu time;
  // heap profiles with inuse objects and space.
  ASSERT_TRUE(sent.contains("wall:wall:nanoseconds:wall:nanoseconds")) << sent.size();
  ASSERT_TRUE(sent.contains("wall:cpu:nanoseconds:wall:nanoseconds"));
  ASSERT_TRUE(sent.contains("memory:inuse_space:bytes:inuse_space:bytes"));
  EXPECT_GT(sent["wall:cpu:nanoseconds:wall:nanoseconds"], 0);

  auto check = [&](const char* when) {
    for (const auto& [type, total] : sent) {
      EXPECT_EQ(Stored(q, type, "nodeshop"), std::make_pair(profiles[type], total))
          << when << " " << type;
    }
  };
  check("live");
  ASSERT_TRUE(q.Restart(/*kill9=*/true));
  check("after kill -9");
}

// A tiny profile whose cpu total identifies it: value = 1000 + i.
std::string Profile(int i) {
  pprof::ProfileBuilder b;
  b.AddSampleType("cpu", "nanoseconds");
  b.SetPeriod("cpu", "nanoseconds", 10'000'000);
  uint64_t main_fn = b.Function("main", "main", "main.cc");
  uint64_t work = b.Function("work" + std::to_string(i % 7), "w", "work.cc");
  b.AddSample({b.LocationForFunction(work), b.LocationForFunction(main_fn)}, {1000 + i});
  return *pprof::EncodeGzip(b.profile());
}

TEST(QuartetdProfilesTest, Kill9LosesNoAcknowledgedProfile) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  const std::string now = std::to_string(time(nullptr) - 30);
  const std::string later = std::to_string(time(nullptr) - 20);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked_total{0}, acked{0};
  const int port = q.port();  // the pushers talk to the first process only
  auto pusher = [&](int id) {
    httplib::Client client("127.0.0.1", port);
    for (int i = id; !stop; i += 2) {
      httplib::Result r =
          client.Post("/ingest?name=killshop.cpu%7Benv%3Dtest%7D&from=" + now + "&until=" + later,
                      Profile(i), "application/octet-stream");
      if (!r || r->status != 200) break;  // the server is going down
      acked_total += 1000 + i;
      ++acked;
    }
  };
  std::thread a(pusher, 0), b(pusher, 1);
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(q.Restart(/*kill9=*/true));
  stop = true;
  a.join();
  b.join();
  ASSERT_GT(acked.load(), 10);
  // Requests in flight at the kill may or may not be stored; acknowledged
  // ones must all be.
  const auto [profiles, total] =
      Stored(q, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "killshop");
  EXPECT_GE(profiles, acked.load());
  EXPECT_GE(total, acked_total.load());
  EXPECT_LE(profiles, acked.load() + 2);  // at most the two in flight
}

}  // namespace
}  // namespace quartet::testing
