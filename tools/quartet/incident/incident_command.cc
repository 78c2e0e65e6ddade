#include "tools/quartet/incident/incident_command.h"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "tools/quartet/flags.h"
#include "tools/quartet/incident/render.h"
#include "tools/quartet/incident/time_spec.h"
#include "wire/json/json_parser.h"

namespace quartet::cli {
namespace {

constexpr int64_t kSec = 1000000000;

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"server", "base URL of quartetd, e.g. http://127.0.0.1:4318", true},
      {"alert", "report on this alert: quartetd takes its service and window from the alert"},
      {"service", "service name (as on every signal)"},
      {"from", "window start: unix seconds, RFC 3339 or now-15m"},
      {"to", "window end (default: now)"},
      {"baseline-from", "baseline start (default: the equal-length window before --from)"},
      {"baseline-to", "baseline end (default: --from)"},
      {"format", "text (default) or json"},
      {"timeout", "seconds to wait for the report (default 60)"},
  };
  return specs;
}

int FlagError(const std::string& message) {
  std::fprintf(stderr, "quartet incident: %s\n\nflags:\n%s", message.c_str(),
               Usage(Specs()).c_str());
  return 2;
}

struct Server {
  std::string base;    // scheme://host:port
  std::string prefix;  // path prefix, "" or "/quartet"
};

Result<Server> ParseServer(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos || url.substr(0, scheme) != "http") {
    return Status::InvalidArgument("flag --server: want http://host:port, got \"" + url + "\"");
  }
  const size_t slash = url.find('/', scheme + 3);
  Server s{url.substr(0, slash), slash == std::string::npos ? "" : url.substr(slash)};
  while (!s.prefix.empty() && s.prefix.back() == '/') s.prefix.pop_back();
  if (s.base.size() == scheme + 3) return Status::InvalidArgument("flag --server: no host");
  return s;
}

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Seconds(int64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%lld.%09lld", static_cast<long long>(ns / kSec),
                static_cast<long long>(ns % kSec));
  return buf;
}

}  // namespace

int RunIncidentCommand(const std::vector<std::string>& args) {
  Result<Flags> flags = Flags::Parse(Specs(), args);
  if (!flags.ok()) return FlagError(std::string(flags.status().message()));
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string format = flags->GetOr("format", "text");
  if (format != "text" && format != "json") {
    return FlagError("flag --format: want text or json, got \"" + format + "\"");
  }
  Result<Server> server = ParseServer(*flags->Get("server"));
  if (!server.ok()) return FlagError(std::string(server.status().message()));
  Result<std::optional<int64_t>> timeout = flags->GetInt("timeout");
  if (!timeout.ok()) return FlagError(std::string(timeout.status().message()));

  std::map<std::string, std::optional<int64_t>> times;
  for (const char* name : {"from", "to", "baseline-from", "baseline-to"}) {
    std::optional<std::string> v = flags->Get(name);
    if (!v) continue;
    Result<int64_t> t = ParseTimeSpec(*v, now);
    if (!t.ok())
      return FlagError("flag --" + std::string(name) + ": " + std::string(t.status().message()));
    times[name] = *t;
  }
  if (times["baseline-from"].has_value() != times["baseline-to"].has_value()) {
    return FlagError("flags --baseline-from and --baseline-to go together");
  }
  std::optional<std::string> alert = flags->Get("alert");
  std::optional<std::string> service = flags->Get("service");
  if (!alert && !service) return FlagError("flag --service (or --alert) is required");
  if (!alert && !times["from"]) return FlagError("flag --from is required with --service");

  httplib::Client client(server->base);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(timeout->value_or(60)));

  // The window of an alert's report is decided by quartetd (one place for
  // the CLI and the UI): the alert's name goes through as it is.
  std::string query;
  if (alert) query += "&alert=" + UrlEncode(*alert);
  if (service) query += "&service=" + UrlEncode(*service);
  const std::pair<const char*, const char*> params[] = {{"from", "from"},
                                                        {"to", "to"},
                                                        {"baseline-from", "baseline_from"},
                                                        {"baseline-to", "baseline_to"}};
  for (const auto& [flag, param] : params) {
    if (times[flag]) query += std::string("&") + param + "=" + Seconds(*times[flag]);
  }
  const std::string path = server->prefix + "/api/v1/incident?" + query.substr(1);
  Result<FetchedReport> report = FetchIncidentReport(client, server->base, path);
  if (!report.ok()) {
    std::fprintf(stderr, "quartet incident: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  if (format == "json") {
    std::printf("%s\n", report->body.c_str());
  } else {
    std::fputs(RenderIncidentText(report->doc, server->base + server->prefix).c_str(), stdout);
  }
  return 0;
}

Result<FetchedReport> FetchIncidentReport(httplib::Client& client, const std::string& base,
                                          const std::string& path) {
  httplib::Result res = client.Get(path);
  if (!res) {
    return Status::Unavailable("GET " + base + path + ": " + httplib::to_string(res.error()));
  }
  Result<json::Value> doc = json::Parse(res->body);
  if (res->status != 200 || !doc.ok()) {
    std::string message = TerminalSafe(res->body.substr(0, 500));
    if (doc.ok() && doc->Find("error") != nullptr && doc->Find("error")->is_string()) {
      message = TerminalSafe(doc->Find("error")->string_value());
    }
    return Status::Unavailable(base + ": HTTP " + std::to_string(res->status) + ": " + message);
  }
  return FetchedReport{std::move(res->body), std::move(*doc)};
}

}  // namespace quartet::cli
