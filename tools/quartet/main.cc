// quartet — the command-line tool. Subcommands:
//   annotate   post a deploy annotation (service, version, text, tags)
//   ship       follow log files and push their lines to Loki's push API
//   demo       play the reference incident: quartetd, the checkout example, load
//   doctor     check the wiring of a running system (names, links, exemplars, ...)
//   incident   the incident report: is it broken, who, where, why
#include <cstdio>
#include <string>
#include <vector>

#include "quartet/annotate.h"
#include "tools/quartet/demo/demo_command.h"
#include "tools/quartet/doctor/doctor_command.h"
#include "tools/quartet/flags.h"
#include "tools/quartet/incident/incident_command.h"
#include "tools/quartet/ship/ship_command.h"

namespace quartet::cli {
namespace {

int Annotate(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs = {
      {"server", "base URL of quartetd or Grafana, e.g. http://127.0.0.1:4318", true},
      {"service", "service name (as on every signal)", true},
      {"version", "the version being deployed"},
      {"env", "deployment environment"},
      {"text", "what changed"},
      {"tag", "extra tag (repeatable)", false, true},
      {"time", "event time, unix milliseconds (default: now)"},
      {"header", "extra request header 'Name: value' (repeatable), e.g. Authorization", false,
       true},
  };
  Result<Flags> flags = Flags::Parse(specs, args);
  if (!flags.ok()) {
    std::fprintf(stderr, "quartet annotate: %s\n\nflags:\n%s",
                 std::string(flags.status().message()).c_str(), Usage(specs).c_str());
    return 2;
  }
  Result<std::optional<int64_t>> time = flags->GetInt("time");
  if (!time.ok()) {
    std::fprintf(stderr, "quartet annotate: %s\n", std::string(time.status().message()).c_str());
    return 2;
  }
  DeployEvent event{.service = *flags->Get("service"),
                    .version = flags->GetOr("version", ""),
                    .environment = flags->GetOr("env", ""),
                    .text = flags->GetOr("text", ""),
                    .tags = flags->GetAll("tag"),
                    .time_ms = time->value_or(0)};
  for (const std::string& header : flags->GetAll("header")) {
    size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::fprintf(stderr, "quartet annotate: flag --header: '%s' is not 'Name: value'\n",
                   header.c_str());
      return 2;
    }
    size_t value = header.find_first_not_of(' ', colon + 1);
    event.headers.emplace_back(header.substr(0, colon),
                               value == std::string::npos ? "" : header.substr(value));
  }
  Result<int64_t> id = AnnounceDeploy(*flags->Get("server"), event);
  if (!id.ok()) {
    std::fprintf(stderr, "quartet annotate: %s\n", id.status().ToString().c_str());
    return 1;
  }
  std::printf("annotation %lld added\n", static_cast<long long>(*id));
  return 0;
}

void PrintUsage() {
  std::fprintf(stderr,
               "usage: quartet <command> [flags]\n\n"
               "commands:\n"
               "  annotate   post a deploy annotation to quartetd or Grafana\n"
               "  ship       follow log files and push their lines to quartetd or Loki\n"
               "  demo       play the reference incident (quartetd, checkout, load) and report\n"
               "  doctor     check the wiring of a running system against the usual gotchas\n"
               "  incident   the incident report of a service or alert: broken, who, where, why\n");
}

}  // namespace
}  // namespace quartet::cli

int main(int argc, char** argv) {
  if (argc < 2) {
    quartet::cli::PrintUsage();
    return 2;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "annotate") return quartet::cli::Annotate(args);
  if (command == "ship") return quartet::ship::RunShipCommand(args);
  if (command == "incident") return quartet::cli::RunIncidentCommand(args);
  if (command == "demo") return quartet::demo::RunDemoCommand(args);
  if (command == "doctor") return quartet::doctor::RunDoctorCommand(args);
  if (command == "help" || command == "--help" || command == "-h") {
    quartet::cli::PrintUsage();
    return 0;
  }
  std::fprintf(stderr, "quartet: unknown command '%s'\n\n", command.c_str());
  quartet::cli::PrintUsage();
  return 2;
}
