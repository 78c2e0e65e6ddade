#include "tools/quartet/doctor/doctor_command.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>

#include "base/duration.h"
#include "tools/quartet/doctor/checks.h"
#include "tools/quartet/flags.h"
#include "wire/json/json_writer.h"

namespace quartet::doctor {
namespace {

using cli::Flags;
using cli::FlagSpec;

void PrintText(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    const char* mark = f.severity == Severity::kOk        ? "ok     "
                       : f.severity == Severity::kSkipped ? "skipped"
                       : f.severity == Severity::kWarning ? "WARNING"
                                                          : "PROBLEM";
    std::printf("%s  %-15s %s\n", mark, f.check.c_str(), f.summary.c_str());
    for (const std::string& d : f.detail) std::printf("                          %s\n", d.c_str());
    if (!f.fix.empty() && (f.severity == Severity::kWarning || f.severity == Severity::kProblem)) {
      std::printf("         fix:             %s\n", f.fix.c_str());
    }
  }
}

void PrintJson(const std::vector<Finding>& findings, int problems, int warnings) {
  std::string out = "{\"problems\":" + std::to_string(problems) +
                    ",\"warnings\":" + std::to_string(warnings) + ",\"findings\":[";
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (i > 0) out += ',';
    out += "{\"check\":";
    json::AppendString(&out, f.check);
    out += ",\"severity\":";
    json::AppendString(&out, SeverityName(f.severity));
    out += ",\"summary\":";
    json::AppendString(&out, f.summary);
    out += ",\"detail\":[";
    for (size_t j = 0; j < f.detail.size(); ++j) {
      if (j > 0) out += ',';
      json::AppendString(&out, f.detail[j]);
    }
    out += "],\"fix\":";
    json::AppendString(&out, f.fix);
    out += '}';
  }
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int RunDoctorCommand(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs = {
      {"server", "base URL of quartetd, e.g. http://127.0.0.1:4318", true},
      {"since", "check the last DURATION of data (default 1h)"},
      {"from", "window start, unix seconds (with --to, instead of --since)"},
      {"to", "window end, unix seconds"},
      {"service", "check only this service"},
      {"format", "text (default) or json"},
  };
  Result<Flags> flags = Flags::Parse(specs, args);
  auto fail = [&](std::string_view message) {
    std::fprintf(stderr, "quartet doctor: %s\n\nflags:\n%s", std::string(message).c_str(),
                 cli::Usage(specs).c_str());
    return 2;
  };
  if (!flags.ok()) return fail(flags.status().message());
  std::string format = flags->GetOr("format", "text");
  if (format != "text" && format != "json") {
    return fail("flag --format: '" + format + "' is neither text nor json");
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  Window window{.from_s = now - 3600, .to_s = now};
  Result<std::optional<int64_t>> from = flags->GetInt("from");
  Result<std::optional<int64_t>> to = flags->GetInt("to");
  if (!from.ok()) return fail(from.status().message());
  if (!to.ok()) return fail(to.status().message());
  if (from->has_value() != to->has_value()) return fail("flags --from and --to go together");
  if (from->has_value()) {
    if (flags->Get("since")) return fail("flag --since: not with --from/--to");
    if (**to <= **from) return fail("flag --to: must be after --from");
    window = {.from_s = **from, .to_s = **to};
  } else if (std::optional<std::string> since = flags->Get("since")) {
    Result<int64_t> ns = ParseDuration(*since);
    if (!ns.ok() || *ns < 1'000'000'000) {
      return fail("flag --since: '" + *since + "' is not a duration of at least 1s (e.g. 30m)");
    }
    window.from_s = now - *ns / 1'000'000'000;
  }

  std::string server = *flags->Get("server");
  while (server.ends_with('/')) server.pop_back();
  httplib::Client client(server);
  if (!client.is_valid()) return fail("flag --server: '" + server + "' is not a URL");
  client.set_read_timeout(std::chrono::seconds(30));
  Api api = [&client](const std::string& path) {
    httplib::Result r = client.Get(path);
    return r ? ApiResponse{r->status, r->body} : ApiResponse{};
  };
  if (api("/ready").status == 0) {
    std::fprintf(stderr, "quartet doctor: flag --server: nothing answers at %s\n", server.c_str());
    return 1;
  }
  std::vector<Finding> findings = RunChecks(api, window, flags->GetOr("service", ""));
  int problems = 0, warnings = 0;
  for (const Finding& f : findings) {
    problems += f.severity == Severity::kProblem;
    warnings += f.severity == Severity::kWarning;
  }
  if (format == "json") {
    PrintJson(findings, problems, warnings);
  } else {
    PrintText(findings);
    std::printf("\n%d problem(s), %d warning(s) in [%lld, %lld]\n", problems, warnings,
                static_cast<long long>(window.from_s), static_cast<long long>(window.to_s));
  }
  return problems > 0 ? 1 : 0;
}

}  // namespace quartet::doctor
