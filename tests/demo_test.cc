// The reference incident end to end: `quartet demo` plays it (quartetd, the
// checkout example over 12M orders, a load with one heavy user, the
// migration, the alert), then quartetd is started again on the data the demo
// produced and `quartet incident` must name the cause — /checkout, the orders
// query with its SQL, the heavy user, `rows`, the migration annotation, the
// database's scan frames — and not the saturated pool, in under 10 s; and
// `quartet doctor` must find the demo's wiring sound. Last, a person's walk
// through the incident in Debian's chromium (tests/ui/incident_walk_browser.mjs):
// the alert, the report of the window, the overview with the migration
// marker, the slowest exemplar, its trace with the orders query, its log line
// with rows=60000, the flame graph with the sqlite scan frames; screenshots go
// to <build>/test-output/demo/walk-*.png.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "tests/support/process.h"
#include "wire/json/json_parser.h"
#include "wire/json/json_value.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

// The text of a report list, to search for what a finding must mention.
std::string ListText(const json::Value& report, std::string_view list) {
  const json::Value* v = report.Find(list);
  std::string out;
  if (v == nullptr || !v->is_array()) return out;
  for (const json::Value& finding : v->items()) out += json::Serialize(finding) + "\n";
  return out;
}

int RunToEnd(Process& p, std::chrono::milliseconds timeout) {
  EXPECT_TRUE(Process::WaitFor([&] { return !p.running(); }, timeout))
      << "still running after " << timeout.count() << " ms\n"
      << p.ReadStdout();
  return p.Stop();
}

TEST(DemoTest, TheReportOfTheReferenceIncidentNamesItsCause) {
  const std::string dir = TempDir("demo");
  Process demo(
      {.argv = {BinaryPath("quartet"), "demo", "--data-dir", dir, "--http-listen", "127.0.0.1:0",
                "--checkout-listen", "127.0.0.1:0", "--checkout-admin", "127.0.0.1:0", "--baseline",
                "60s", "--alert-timeout", "5m", "--after-report", "exit"}});
  int exit_code = RunToEnd(demo, 12min);
  const std::string out = demo.ReadStdout();
  ASSERT_EQ(exit_code, 0) << out << demo.ReadStderr();
  EXPECT_NE(out.find("HighCheckoutLatency is firing"), std::string::npos) << out;
  // The demo prints the alert's report as `quartet incident` renders it.
  EXPECT_NE(out.find("\nConclusion\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  onset     "), std::string::npos) << out;

  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      out, m, std::regex(R"(/ui/incident\?service=checkout&from=(\d+)&to=(\d+))")))
      << out;
  const std::string from = m[1], to = m[2];

  // quartetd again, on what the demo left.
  Process quartetd({.argv = {BinaryPath("quartetd"), "--data-dir", dir + "/quartetd",
                             "--http-listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"}});
  std::string url;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        std::smatch port;
        std::string log = quartetd.ReadStdout();
        if (!std::regex_search(log, port, std::regex(R"(listening on http port (\d+))"))) {
          return false;
        }
        url = "http://127.0.0.1:" + port[1].str();
        return true;
      },
      60s))
      << quartetd.ReadStdout() << quartetd.ReadStderr();

  Process incident({.argv = {BinaryPath("quartet"), "incident", "--server", url, "--service",
                             "checkout", "--from", from, "--to", to, "--format", "json"}});
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(RunToEnd(incident, 60s), 0) << incident.ReadStderr();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 10s) << "the report took "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                       << " ms";
  Result<json::Value> report = json::Parse(incident.ReadStdout());
  ASSERT_TRUE(report.ok()) << incident.ReadStdout();

  const std::string broken = ListText(*report, "broken");
  const std::string who = ListText(*report, "who");
  const std::string where = ListText(*report, "where");
  const std::string why = ListText(*report, "why");
  const std::string all = broken + who + where + why;
  EXPECT_NE(broken.find("/checkout"), std::string::npos) << broken;
  EXPECT_NE(where.find("FROM orders WHERE user_id"), std::string::npos) << where;
  EXPECT_NE(who.find("42"), std::string::npos) << who;
  EXPECT_NE(why.find("rows"), std::string::npos) << why;
  EXPECT_NE(why.find("DROP INDEX"), std::string::npos) << why;
  EXPECT_NE(why.find("sqlite3"), std::string::npos) << "no scan frames from the profile\n" << why;
  // The pool gauge may be mentioned only as a symptom.
  for (std::string_view list : {"broken", "who", "where", "why"}) {
    const json::Value* findings = report->Find(list);
    if (findings == nullptr || !findings->is_array()) continue;
    for (const json::Value& f : findings->items()) {
      const std::string text = json::Serialize(f);
      if (text.find("db_connections") == std::string::npos) continue;
      const json::Value* signal = f.Find("signal");
      ASSERT_TRUE(signal != nullptr && signal->is_string()) << text;
      EXPECT_NE(signal->string_value().find("symptom"), std::string::npos) << text;
    }
  }

  Process doctor({.argv = {BinaryPath("quartet"), "doctor", "--server", url, "--from",
                           std::to_string(std::stoll(from) - 120), "--to", to}});
  EXPECT_EQ(RunToEnd(doctor, 60s), 0) << doctor.ReadStdout() << doctor.ReadStderr();

  // The walk in a browser, against the same quartetd. A missing chromium or
  // playwright-core fails: a skip would hide a broken setup.
  EXPECT_EQ(access("/usr/bin/chromium", X_OK), 0) << "chromium missing: run ./setup";
  EXPECT_EQ(access(SourcePath("ui/node_modules/playwright-core/package.json").c_str(), R_OK), 0)
      << "playwright-core missing: run ./setup (npm ci in ui/)";
  const std::string shots = BinaryPath("") + "/../test-output/demo";
  std::filesystem::create_directories(shots);
  for (const auto& old : std::filesystem::directory_iterator(shots)) {
    if (old.path().filename().string().starts_with("walk-")) std::filesystem::remove(old.path());
  }
  const std::string log_dir = TempDir("incident-walk");
  const std::string walk = "cd " + SourcePath("ui") + " && timeout 90 node " +
                           SourcePath("tests/ui/incident_walk_browser.mjs") + " '" + url + "' '" +
                           shots + "' " + from + " " + to + " > " + log_dir + "/out 2> " + log_dir +
                           "/err";
  started = std::chrono::steady_clock::now();
  const int walk_rc = std::system(walk.c_str());
  auto walk_took = std::chrono::steady_clock::now() - started;
  const std::string walk_out = ReadFile(log_dir + "/out");
  EXPECT_EQ(walk_rc, 0) << walk << "\nstdout:\n"
                        << walk_out << "\nstderr:\n"
                        << ReadFile(log_dir + "/err");
  EXPECT_NE(walk_out.find("\"ok\":true"), std::string::npos) << walk_out;
  for (const char* shot :
       {"walk-1-alert.png", "walk-2-report.png", "walk-3-overview.png", "walk-4-exemplar-trace.png",
        "walk-5-trace-logs.png", "walk-6-flame-graph.png"}) {
    EXPECT_TRUE(std::filesystem::exists(shots + "/" + shot)) << shot;
  }
  std::printf("incident walk in %lld ms: %s\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(walk_took).count()),
              walk_out.c_str());
  std::printf(
      "incident report in %lld ms\n%s\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
      all.c_str());
}

}  // namespace
}  // namespace quartet::testing
