#include "tools/quartet/demo/demo_command.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "base/duration.h"
#include "tools/quartet/demo/child.h"
#include "tools/quartet/demo/load.h"
#include "tools/quartet/flags.h"
#include "tools/quartet/incident/incident_command.h"
#include "tools/quartet/incident/render.h"
#include "wire/json/json_parser.h"

namespace quartet::demo {
namespace {

using Clock = std::chrono::steady_clock;
using cli::Flags;
using cli::FlagSpec;

constexpr char kAlert[] = "HighCheckoutLatency";

// The alert of the reference incident, on the SDK's request histogram as
// quartetd scrapes it from the service's /metrics (job "checkout").
constexpr char kRules[] = R"yaml(groups:
  - name: checkout
    interval: 5s
    rules:
      - alert: HighCheckoutLatency
        expr: >-
          histogram_quantile(0.99, sum by (le) (rate(
          http_server_request_duration_seconds_bucket{job="checkout", route="/checkout"}[1m])))
          > 0.25
        for: 30s
        labels:
          severity: page
          service: checkout
        annotations:
          summary: "p99 latency of /checkout is {{ humanizeDuration $value }} (over 250ms)"
)yaml";

struct Address {
  std::string host;
  int port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

// HOST:PORT; port 0 picks a free port now (the services' addresses must be
// known before quartetd's config is written).
Result<Address> ParseAddress(std::string_view flag, const std::string& text) {
  size_t colon = text.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const char* begin = text.data() + colon + 1;
    const char* end = text.data() + text.size();
    auto [last, err] = std::from_chars(begin, end, port);
    if (err != std::errc() || last != end || begin == end) port = -1;
  }
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument("flag --" + std::string(flag) + ": '" + text +
                                   "' is not HOST:PORT");
  }
  Address a{text.substr(0, colon), port};
  if (a.port == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, a.host.c_str(), &sa.sin_addr);
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      if (fd >= 0) close(fd);
      return Status::InvalidArgument("flag --" + std::string(flag) + ": cannot bind " + text);
    }
    a.port = ntohs(sa.sin_port);
    close(fd);
  }
  return a;
}

std::string ExecutableDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// The state of the demo's alert ("inactive", "pending", "firing"), or
// nullopt when quartetd has no alerts API to ask.
std::optional<std::string> AlertState(httplib::Client& client) {
  httplib::Result res = client.Get("/api/v1/alerts");
  if (!res || res->status != 200) return std::nullopt;
  Result<json::Value> doc = json::Parse(res->body);
  if (!doc.ok()) return std::nullopt;
  const json::Value* data = doc->Find("data");
  const json::Value* alerts = data ? data->Find("alerts") : nullptr;
  if (alerts == nullptr || !alerts->is_array()) return std::nullopt;
  std::string state = "inactive";
  for (const json::Value& alert : alerts->items()) {
    const json::Value* labels = alert.Find("labels");
    const json::Value* name = labels ? labels->Find("alertname") : nullptr;
    const json::Value* s = alert.Find("state");
    if (name && name->is_string() && name->string_value() == kAlert && s && s->is_string()) {
      if (s->string_value() == "firing" || state == "inactive") state = s->string_value();
    }
  }
  return state;
}

// quartetd's incident report for `query` (the parameters of
// /api/v1/incident), or nullopt after printing why there is none.
std::optional<json::Value> FetchReport(httplib::Client& client, const std::string& base,
                                       const std::string& query) {
  Result<cli::FetchedReport> report =
      cli::FetchIncidentReport(client, base, "/api/v1/incident?" + query);
  if (!report.ok()) {
    std::printf("(no incident report: %s)\n", std::string(report.status().message()).c_str());
    return std::nullopt;
  }
  return std::move(report->doc);
}

// Sleeps in steps, printing a progress line every 10 s; false when a stop
// signal arrived.
bool Play(const char* phase, std::chrono::seconds length, const LoadGenerator& load,
          const sigset_t& stop_signals, const std::function<bool()>& done = nullptr) {
  Clock::time_point start = Clock::now();
  Clock::time_point next_report = start + std::chrono::seconds(10);
  while (Clock::now() - start < length) {
    timespec tick{0, 500'000'000};
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) return false;
    if (done && done()) return true;
    if (Clock::now() >= next_report) {
      next_report += std::chrono::seconds(10);
      LoadStats s = load.stats();
      std::printf(
          "  [%s %3llds] %lld requests, %lld failed, %lld slower than 500 ms\n", phase,
          static_cast<long long>(
              std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count()),
          static_cast<long long>(s.sent), static_cast<long long>(s.failed),
          static_cast<long long>(s.slow));
      std::fflush(stdout);
    }
  }
  return true;
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int RunDemoCommand(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs = {
      {"data-dir", "keep quartetd's data and the checkout database here (default: a temp dir)"},
      {"http-listen", "quartetd's HTTP address (default 127.0.0.1:4318; port 0 picks one)"},
      {"checkout-listen", "the checkout service's address (default 127.0.0.1:8080)"},
      {"checkout-admin", "the checkout service's /metrics address (default 127.0.0.1:9464)"},
      {"orders", "orders seeded into the checkout database (default 12000000)"},
      {"rate", "ordinary users' requests per second (default 20)"},
      {"heavy-rate", "the heavy user's checkouts per second (default 2)"},
      {"baseline", "how long to play the healthy baseline (default 60s)"},
      {"alert-timeout", "how long to wait for the alert to fire (default 5m)"},
      {"after-report", "'stay' (default: keep running until Ctrl-C) or 'exit'"},
      {"bin-dir", "where quartetd and checkout are (default: beside this program)"},
  };
  Result<Flags> flags = Flags::Parse(specs, args);
  auto fail = [&](const Status& st) {
    std::fprintf(stderr, "quartet demo: %s\n\nflags:\n%s", std::string(st.message()).c_str(),
                 cli::Usage(specs).c_str());
    return 2;
  };
  if (!flags.ok()) return fail(flags.status());
  Result<Address> http = ParseAddress("http-listen", flags->GetOr("http-listen", "127.0.0.1:4318"));
  if (!http.ok()) return fail(http.status());
  Result<Address> service =
      ParseAddress("checkout-listen", flags->GetOr("checkout-listen", "127.0.0.1:8080"));
  if (!service.ok()) return fail(service.status());
  Result<Address> admin =
      ParseAddress("checkout-admin", flags->GetOr("checkout-admin", "127.0.0.1:9464"));
  if (!admin.ok()) return fail(admin.status());
  Result<std::optional<int64_t>> orders = flags->GetInt("orders");
  if (!orders.ok()) return fail(orders.status());
  LoadMix mix;
  mix.orders = orders->value_or(12'000'000);
  for (auto [name, slot] : {std::pair{"rate", &mix.ordinary_per_second},
                            std::pair{"heavy-rate", &mix.heavy_per_second}}) {
    if (std::optional<std::string> text = flags->Get(name)) {
      char* end = nullptr;
      double v = std::strtod(text->c_str(), &end);
      if (end == text->c_str() || *end != '\0' || !(v >= 0) || v > 10000) {
        return fail(Status::InvalidArgument(std::string("flag --") + name + ": '" + *text +
                                            "' is not a rate between 0 and 10000 per second"));
      }
      *slot = v;
    }
  }
  std::chrono::seconds durations[2];
  const char* duration_flags[2] = {"baseline", "alert-timeout"};
  const char* duration_defaults[2] = {"60s", "5m"};
  for (int i = 0; i < 2; ++i) {
    Result<int64_t> ns = ParseDuration(flags->GetOr(duration_flags[i], duration_defaults[i]));
    if (!ns.ok()) {
      return fail(Status::InvalidArgument(std::string("flag --") + duration_flags[i] + ": " +
                                          std::string(ns.status().message())));
    }
    durations[i] = std::chrono::seconds(*ns / 1'000'000'000);
  }
  std::string after = flags->GetOr("after-report", "stay");
  if (after != "stay" && after != "exit") {
    return fail(Status::InvalidArgument("flag --after-report: '" + after +
                                        "' is neither 'stay' nor 'exit'"));
  }

  std::string bin = flags->GetOr("bin-dir", ExecutableDir());
  bool temporary = !flags->Get("data-dir").has_value();
  std::string dir = flags->GetOr("data-dir", "");
  if (temporary) {
    std::string pattern = (std::filesystem::temp_directory_path() / "quartet-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("quartet demo: cannot create a temporary directory");
      return 1;
    }
    dir = pattern;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "quartet demo: flag --data-dir: cannot create %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 2;
  }

  // Stop signals are waited for, not handled: the children are stopped in
  // order (load, service, then quartetd, which flushes).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string config =
      "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n"
      "scrape_configs:\n  - job_name: checkout\n    static_configs:\n"
      "      - targets: [\"" +
      admin->text() + "\"]\nrule_files: [\"rules.yml\"]\n";
  if (!WriteFile(dir + "/quartetd.yml", config) || !WriteFile(dir + "/rules.yml", kRules)) {
    std::fprintf(stderr, "quartet demo: cannot write the config into %s\n", dir.c_str());
    return 1;
  }
  std::string url = "http://" + http->text();
  std::printf("quartet demo: data in %s%s\n", dir.c_str(),
              temporary ? " (temporary; --data-dir keeps it)" : "");
  std::printf("starting quartetd on %s ...\n", url.c_str());
  std::fflush(stdout);
  Result<Child> quartetd = Child::Start(
      {bin + "/quartetd", "--data-dir", dir + "/quartetd", "--http-listen", http->text(),
       "--grpc-listen", http->host + ":0", "--config", dir + "/quartetd.yml"},
      {}, dir + "/quartetd.log");
  if (!quartetd.ok()) {
    std::fprintf(stderr, "quartet demo: %s\n", std::string(quartetd.status().message()).c_str());
    return 1;
  }
  Result<std::string> listening = quartetd->WaitForLine(
      [](std::string_view line) { return line.starts_with("quartetd listening"); },
      std::chrono::seconds(60));
  if (!listening.ok()) {
    std::fprintf(stderr, "quartet demo: %s\n", std::string(listening.status().message()).c_str());
    return 1;
  }

  std::string db = dir + "/checkout.db";
  if (!std::filesystem::exists(db)) {
    std::printf("starting checkout; seeding %lld orders into %s once (~15 s for 12M) ...\n",
                static_cast<long long>(mix.orders), db.c_str());
  } else {
    std::printf("starting checkout ...\n");
  }
  std::fflush(stdout);
  Result<Child> checkout =
      Child::Start({bin + "/checkout", "--listen", service->text(), "--admin", admin->text(),
                    "--db", db, "--orders", std::to_string(mix.orders)},
                   {{"OTEL_EXPORTER_OTLP_ENDPOINT", url},
                    {"OTEL_SERVICE_NAME", "checkout"},
                    {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=demo"},
                    {"QUARTET_PROFILING", "true"},
                    {"PYROSCOPE_SERVER_ADDRESS", url}},
                   dir + "/checkout.log");
  if (!checkout.ok()) {
    std::fprintf(stderr, "quartet demo: %s\n", std::string(checkout.status().message()).c_str());
    return 1;
  }
  Result<std::string> serving = checkout->WaitForLine(
      [](std::string_view line) { return line.find("\"message\":\"listening\"") != line.npos; },
      std::chrono::minutes(5));
  if (!serving.ok()) {
    std::fprintf(stderr, "quartet demo: %s\n", std::string(serving.status().message()).c_str());
    return 1;
  }
  // An existing database may be left from an earlier run without its index.
  httplib::Client service_client(service->host, service->port);
  service_client.set_read_timeout(std::chrono::minutes(2));
  service_client.Post("/admin/migration?action=create_index", "", "text/plain");

  LoadGenerator load(service->host, service->port, mix);
  load.Start();
  const int64_t started = NowUnix();
  std::printf(
      "playing a healthy baseline for %llds: %.0f req/s of ordinary users, %.1f/s "
      "checkouts of the heavy user (42)\n",
      static_cast<long long>(durations[0].count()), mix.ordinary_per_second, mix.heavy_per_second);
  std::fflush(stdout);
  bool stopped = !Play("baseline", durations[0], load, stop_signals);

  int64_t migrated = NowUnix();
  if (!stopped) {
    std::printf(
        "applying the migration at %lld: DROP INDEX idx_orders_user_id (the service "
        "announces it as a deploy annotation)\n",
        static_cast<long long>(NowUnix()));
    std::fflush(stdout);
    httplib::Result res =
        service_client.Post("/admin/migration?action=drop_index", "", "text/plain");
    if (!res || res->status != 200) {
      std::fprintf(stderr, "quartet demo: the migration failed: %s\n",
                   res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
    }
    migrated = NowUnix();
  }

  httplib::Client quartetd_client(http->host, http->port);
  quartetd_client.set_read_timeout(std::chrono::seconds(30));
  bool fired = false;
  if (!stopped) {
    std::printf("waiting for %s to fire (p99 of /checkout over 250 ms for 30s) ...\n", kAlert);
    std::fflush(stdout);
    std::string last = "inactive";
    bool have_alerts_api = true;
    stopped = !Play("incident", durations[1], load, stop_signals, [&] {
      std::optional<std::string> state = AlertState(quartetd_client);
      if (!state) {
        if (have_alerts_api) std::printf("  (quartetd answers no /api/v1/alerts)\n");
        have_alerts_api = false;
        return NowUnix() - migrated >= 90;  // report on a fixed incident window instead
      }
      if (*state != last) {
        std::printf("  %s is %s (%llds after the migration)\n", kAlert, state->c_str(),
                    static_cast<long long>(NowUnix() - migrated));
        std::fflush(stdout);
        last = *state;
      }
      fired = *state == "firing";
      return fired;
    });
  }

  int64_t now = NowUnix();
  int64_t incident_from = migrated;
  if (!stopped) {
    std::printf("\n");
    std::fflush(stdout);
    // The alert's report: quartetd decides its window (a lead-in before the
    // alert's activeAt, the baseline bounded by the demo's short history),
    // and the links below open that same window. Without a fired alert: the
    // window since the migration. Fetched once and printed as `quartet
    // incident` prints it.
    quartetd_client.set_read_timeout(std::chrono::minutes(2));
    std::optional<json::Value> report;
    if (fired) {
      report = FetchReport(quartetd_client, url,
                           std::string("alert=") + kAlert + "&to=" + std::to_string(now));
    }
    const json::Value* report_window = report ? report->Find("window") : nullptr;
    const json::Value* from = report_window ? report_window->Find("from") : nullptr;
    if (from != nullptr && from->is_number()) {
      incident_from = static_cast<int64_t>(from->double_value());
    } else {
      report = FetchReport(
          quartetd_client, url,
          "service=checkout&from=" + std::to_string(migrated) + "&to=" + std::to_string(now));
    }
    if (report) std::fputs(cli::RenderIncidentText(*report, url).c_str(), stdout);
    std::string window = "from=" + std::to_string(started) + "&to=" + std::to_string(now);
    std::string incident_window =
        "from=" + std::to_string(incident_from) + "&to=" + std::to_string(now);
    std::printf(
        "\nwhere to click:\n"
        "  the incident report     %s/ui/incident?service=checkout&%s\n"
        "  the service overview    %s/ui/overview?service=checkout&%s\n"
        "  slow checkouts          %s/ui/explore/traces?q=%%7B%%20span.http.route%%20%%3D%%20%%22"
        "%%2Fcheckout%%22%%20%%26%%26%%20duration%%20%%3E%%20500ms%%20%%7D&%s\n"
        "  the CPU flame graph     %s/ui/profiles?query=process_cpu%%3Acpu%%3Ananoseconds%%3Acpu"
        "%%3Ananoseconds%%7Bservice_name%%3D%%22checkout%%22%%7D&%s\n"
        "  the alert               %s/api/v1/alerts\n"
        "  the annotation          %s/api/annotations?tags=migration\n",
        url.c_str(), incident_window.c_str(), url.c_str(), window.c_str(), url.c_str(),
        window.c_str(), url.c_str(), incident_window.c_str(), url.c_str(), url.c_str());
    if (!temporary || after == "stay") {
      std::printf("logs: %s/quartetd.log, %s/checkout.log\n", dir.c_str(), dir.c_str());
    }
    std::fflush(stdout);
  }
  if (!stopped && after == "stay") {
    std::printf("\nthe incident goes on; Ctrl-C stops the load, the service and quartetd.\n");
    std::fflush(stdout);
    Play("incident", std::chrono::hours(24 * 365), load, stop_signals);
  }
  load.Stop();
  checkout->Stop();
  quartetd->Stop(std::chrono::seconds(30));
  // A temporary directory goes, whatever the ending: its checkout database
  // alone is 500 MB.
  if (temporary) std::filesystem::remove_all(dir, ec);
  if (stopped) return 130;
  return fired ? 0 : 1;
}

}  // namespace quartet::demo
