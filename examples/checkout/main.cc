// checkout — the reference service of the incident story (DESIGN.md).
//
//   checkout --listen HOST:PORT --admin HOST:PORT --db PATH [--drop-index]
//            [--annotations URL]
//
// Serves GET /checkout?user_id=N (sums the user's orders in SQLite),
// GET /orders/:id, POST /admin/migration?action=drop_index|create_index (the
// "migration" of the incident, announced as a deploy annotation) and
// GET /healthz; /metrics is on the admin address. Built only on the public
// SDK API and cpp-httplib; everything else comes from OTEL_* variables.
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "examples/checkout/store.h"
#include "quartet/adapters/httplib.h"
#include "quartet/annotate.h"
#include "quartet/quartet.h"

namespace checkout {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kVersion[] = "1.0.0";

struct Options {
  std::string listen = "127.0.0.1:8080";
  std::string admin = "127.0.0.1:9464";
  std::string db = "checkout.db";
  std::string annotations;  // default: the OTLP endpoint's host (quartetd serves both)
  bool drop_index = false;
  int64_t orders = SeedPlan{}.orders;  // rows seeded when the database is created
};

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "checkout: flag %s needs a value\n", flag.c_str());
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (flag == "--listen") {
      if (!value(o.listen)) return false;
    } else if (flag == "--admin") {
      if (!value(o.admin)) return false;
    } else if (flag == "--db") {
      if (!value(o.db)) return false;
    } else if (flag == "--annotations") {
      if (!value(o.annotations)) return false;
    } else if (flag == "--drop-index") {
      o.drop_index = true;
    } else if (flag == "--orders") {
      std::string text;
      if (!value(text)) return false;
      std::optional<int64_t> n = ParseId(text);
      if (!n || *n < SeedPlan{}.heavy_user_orders) {
        std::fprintf(stderr, "checkout: flag --orders: '%s' is not a count >= %lld\n", text.c_str(),
                     static_cast<long long>(SeedPlan{}.heavy_user_orders));
        return false;
      }
      o.orders = *n;
    } else {
      std::fprintf(
          stderr,
          "checkout: unknown flag %s\nusage: checkout --listen HOST:PORT --admin HOST:PORT "
          "--db PATH [--orders N] [--drop-index] [--annotations URL]\n",
          flag.c_str());
      return false;
    }
  }
  return true;
}

// Runs one SQL statement in a CLIENT span and logs it, as the incident needs:
// the slow spans show the query; the log lines carry rows and duration_ms.
template <typename Fn>
auto TracedQuery(std::string_view operation, std::string_view sql, Fn&& run) {
  quartet::Span span = quartet::Tracer().StartSpan(
      std::string(operation) + " orders", {.kind = quartet::SpanKind::kClient,
                                           .attributes = {{"db.system", "sqlite"},
                                                          {"db.operation.name", operation},
                                                          {"db.query.text", sql},
                                                          {"db.collection.name", "orders"}}});
  quartet::Scope scope(span);
  auto start = Clock::now();
  auto result = run();
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!result.ok()) {
    span.SetStatus(quartet::SpanStatus::kError, result.status().message());
    quartet::Log().Error(
        "db query failed",
        {{"query", sql}, {"duration_ms", ms}, {"error", result.status().ToString()}});
  }
  return std::make_pair(std::move(result), ms);
}

void Reply(httplib::Response& res, int status, const std::string& json) {
  res.status = status;
  res.set_content(json + "\n", "application/json");
}

std::string AnnotationsUrl(const Options& o) {
  if (!o.annotations.empty()) return o.annotations;
  const char* endpoint = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  return endpoint != nullptr && *endpoint != '\0' ? endpoint : "http://localhost:4318";
}

quartet::Status Migrate(Store& store, std::string_view action, const Options& o,
                        const quartet::Telemetry& t) {
  quartet::Status st = action == "drop_index" ? store.DropUserIndex() : store.CreateUserIndex();
  if (!st.ok()) return st;
  std::string text =
      action == "drop_index"
          ? "migration: DROP INDEX idx_orders_user_id"
          : "migration: CREATE INDEX idx_orders_user_id ON orders(user_id, amount_cents)";
  quartet::Log().Warn("migration applied", {{"action", action}, {"text", text}});
  quartet::DeployEvent event{.service = t.service_name(),
                             .version = t.service_version(),
                             .environment = t.environment(),
                             .text = text,
                             .tags = {"migration"}};
  auto id = quartet::AnnounceDeploy(AnnotationsUrl(o), event, std::chrono::seconds(2));
  if (id.ok()) {
    quartet::Log().Info("deploy annotation posted", {{"annotation_id", *id}});
  } else {
    quartet::Log().Warn("deploy annotation not posted", {{"error", id.status().ToString()}});
  }
  return quartet::Status::Ok();
}

void Routes(httplib::Server& server, Store& store, const Options& options,
            const quartet::Telemetry& telemetry) {
  using quartet::httplib_adapter::Params;
  using quartet::httplib_adapter::Route;

  Route(server, "GET", "/checkout",
        [&store](const httplib::Request& req, httplib::Response& res, const Params&) {
          std::optional<int64_t> user = ParseId(req.get_param_value("user_id"));
          if (!user) return Reply(res, 400, R"({"error":"user_id must be a positive integer"})");
          auto [result, ms] =
              TracedQuery("SELECT", kSumOrdersSql, [&] { return store.SumOrdersForUser(*user); });
          if (!result.ok()) return Reply(res, 500, R"({"error":"database error"})");
          quartet::Log().Info("db query", {{"query", kSumOrdersSql},
                                           {"duration_ms", ms},
                                           {"rows", result->rows},
                                           {"user_id", *user}});
          Reply(res, 200,
                "{\"user_id\":" + std::to_string(*user) +
                    ",\"orders\":" + std::to_string(result->rows) +
                    ",\"total_cents\":" + std::to_string(result->total_cents) + "}");
        });

  Route(server, "GET", "/orders/:id",
        [&store](const httplib::Request&, httplib::Response& res, const Params& p) {
          std::optional<int64_t> id = ParseId(p.at("id"));
          if (!id) return Reply(res, 400, R"({"error":"order id must be a positive integer"})");
          auto [result, ms] =
              TracedQuery("SELECT", kFindOrderSql, [&] { return store.FindOrder(*id); });
          if (!result.ok()) return Reply(res, 500, R"({"error":"database error"})");
          quartet::Log().Info("db query", {{"query", kFindOrderSql},
                                           {"duration_ms", ms},
                                           {"rows", result->has_value() ? 1 : 0}});
          if (!result->has_value()) return Reply(res, 404, R"({"error":"no such order"})");
          const Order& o = **result;
          Reply(res, 200,
                "{\"id\":" + std::to_string(o.id) + ",\"user_id\":" + std::to_string(o.user_id) +
                    ",\"amount_cents\":" + std::to_string(o.amount_cents) + ",\"created_at\":\"" +
                    o.created_at + "\"}");
        });

  Route(server, "POST", "/admin/migration",
        [&store, &options, &telemetry](const httplib::Request& req, httplib::Response& res,
                                       const Params&) {
          std::string action = req.get_param_value("action");
          if (action != "drop_index" && action != "create_index") {
            return Reply(res, 400, R"({"error":"action must be drop_index or create_index"})");
          }
          quartet::Status st = Migrate(store, action, options, telemetry);
          if (!st.ok()) return Reply(res, 500, R"({"error":"migration failed"})");
          Reply(res, 200, "{\"applied\":\"" + action + "\"}");
        });

  // Deliberately throws: shows the recovery middleware (a 500, an error span,
  // an error log line) while the service keeps serving.
  Route(server, "GET", "/debug/panic",
        [](const httplib::Request&, httplib::Response&, const Params&) {
          throw std::runtime_error("panic requested via /debug/panic");
        });

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
}

std::pair<std::string, int> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return {address, -1};
  std::optional<int64_t> port = address.substr(colon + 1) == "0"
                                    ? std::optional<int64_t>(0)
                                    : ParseId(address.substr(colon + 1));
  return {address.substr(0, colon), port && *port <= 65535 ? static_cast<int>(*port) : -1};
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) return 2;
  auto [host, port] = SplitHostPort(options.listen);
  if (port < 0) {
    std::fprintf(stderr, "checkout: flag --listen: '%s' is not HOST:PORT\n",
                 options.listen.c_str());
    return 2;
  }

  // Block the stop signals before any thread starts; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  quartet::Config config;
  // The environment names the service when it says anything; else "checkout".
  const char* attrs = std::getenv("OTEL_RESOURCE_ATTRIBUTES");
  if (std::getenv("OTEL_SERVICE_NAME") == nullptr &&
      (attrs == nullptr ||
       std::string_view(attrs).find("service.name=") == std::string_view::npos)) {
    config.service_name = "checkout";
  }
  config.service_version = kVersion;
  config.admin_listen = options.admin;
  quartet::Telemetry telemetry = quartet::Init(config);

  if (!std::filesystem::exists(options.db)) {
    quartet::Log().Info("seeding the orders table (once)",
                        {{"db", options.db}, {"orders", options.orders}});
  }
  auto store = Store::Open(options.db, SeedPlan{.orders = options.orders});
  if (!store.ok()) {
    quartet::Log().Error("cannot open the database",
                         {{"db", options.db}, {"error", store.status().ToString()}});
    return 1;
  }
  // The pool gauges of the reference incident: they saturate while the heavy
  // user's scans hold every connection (a symptom to see, not the cause).
  Store* pool = store->get();
  quartet::MetricRegistry& metrics = quartet::Metrics();
  metrics.CallbackGauge("db_connections_active", "database connections running a query",
                        [pool] { return static_cast<double>(pool->pool_stats().active); });
  metrics.CallbackGauge("db_connections_max", "size of the database connection pool",
                        [pool] { return static_cast<double>(pool->pool_stats().size); });
  metrics.CallbackGauge("db_connections_waiting", "requests waiting for a database connection",
                        [pool] { return static_cast<double>(pool->pool_stats().waiting); });
  if (options.drop_index) {
    quartet::Status st = Migrate(**store, "drop_index", options, telemetry);
    if (!st.ok()) quartet::Log().Error("migration failed", {{"error", st.ToString()}});
  }

  httplib::Server server;
  Routes(server, **store, options, telemetry);
  int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    quartet::Log().Error("cannot listen", {{"listen", options.listen}});
    return 1;
  }
  quartet::Log().Info("listening", {{"address", host + ":" + std::to_string(bound)},
                                    {"admin", telemetry.admin_address()},
                                    {"db", options.db},
                                    {"version", telemetry.service_version()}});

  std::atomic<bool> done{false};
  std::thread stopper([&server, &done, stop_signals] {
    timespec tick{0, 200'000'000};
    while (!done.load()) {
      int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig > 0) {
        quartet::Log().Info("stopping", {{"signal", sig}});
        server.stop();
        return;
      }
    }
  });
  server.listen_after_bind();
  done = true;
  stopper.join();
  bool flushed = telemetry.Shutdown(std::chrono::seconds(5));
  return flushed ? 0 : 1;
}

}  // namespace
}  // namespace checkout

int main(int argc, char** argv) { return checkout::Main(argc, argv); }
