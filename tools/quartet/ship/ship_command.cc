#include "tools/quartet/ship/ship_command.h"

#include <csignal>
#include <cstdio>

#include "tools/quartet/flags.h"
#include "tools/quartet/ship/log_line.h"
#include "tools/quartet/ship/shipper.h"

namespace quartet::ship {
namespace {

Shipper* g_shipper = nullptr;

extern "C" void OnStopSignal(int) {
  if (g_shipper != nullptr) g_shipper->RequestStop();
}

int Fail(const std::string& message, const std::vector<cli::FlagSpec>* specs = nullptr) {
  std::fprintf(stderr, "quartet ship: %s\n", message.c_str());
  if (specs != nullptr) std::fprintf(stderr, "\nflags:\n%s", cli::Usage(*specs).c_str());
  return 2;
}

}  // namespace

int RunShipCommand(const std::vector<std::string>& args) {
  const std::vector<cli::FlagSpec> specs = {
      {"file", "log file to follow (repeatable); rotation and truncation are handled", true, true},
      {"server", "base URL of quartetd or Loki, e.g. http://127.0.0.1:4318", true},
      {"labels", "stream labels 'name=value,name=value', e.g. service_name=checkout,env=prod",
       true},
      {"positions", "file keeping read positions across restarts (recommended)"},
      {"format", "push encoding: protobuf (snappy, the default) or json"},
      {"batch-bytes", "flush a batch at this many bytes of lines (default 1048576)"},
      {"batch-wait", "flush a batch this long after its first line (default 1s)"},
      {"max-backoff", "longest wait between retries without Retry-After (default 30s)"},
  };
  Result<cli::Flags> flags = cli::Flags::Parse(specs, args);
  if (!flags.ok()) return Fail(std::string(flags.status().message()), &specs);

  ShipOptions options;
  options.files = flags->GetAll("file");
  for (const std::string& file : options.files) {
    if (file.empty() || file.find('\n') != std::string::npos) {
      return Fail("flag --file: '" + file + "' is not a usable path");
    }
  }
  options.server = *flags->Get("server");
  if (!options.server.starts_with("http://") && !options.server.starts_with("https://")) {
    return Fail("flag --server: '" + options.server + "' is not an http:// or https:// URL");
  }
  Result<loki::Labels> labels = ParseLabelsFlag(*flags->Get("labels"));
  if (!labels.ok()) return Fail("flag --labels: " + std::string(labels.status().message()));
  if (labels->empty()) return Fail("flag --labels: name at least one label (Loki requires one)");
  options.labels = *labels;
  options.positions = flags->GetOr("positions", "");
  std::string format = flags->GetOr("format", "protobuf");
  if (format != "protobuf" && format != "json") {
    return Fail("flag --format: '" + format + "' is not protobuf or json");
  }
  options.json = format == "json";
  Result<std::optional<int64_t>> batch_bytes = flags->GetInt("batch-bytes");
  if (!batch_bytes.ok()) return Fail(std::string(batch_bytes.status().message()));
  if (batch_bytes->has_value()) {
    if (**batch_bytes < 1024 || **batch_bytes > (int64_t{64} << 20)) {
      return Fail("flag --batch-bytes: must be between 1024 and 67108864");
    }
    options.batch_bytes = static_cast<size_t>(**batch_bytes);
  }
  for (const char* name : {"batch-wait", "max-backoff"}) {
    std::optional<std::string> text = flags->Get(name);
    if (!text.has_value()) continue;
    Result<std::chrono::milliseconds> d = ParseDuration(*text);
    if (!d.ok())
      return Fail("flag --" + std::string(name) + ": " + std::string(d.status().message()));
    if (d->count() <= 0) return Fail("flag --" + std::string(name) + ": must be positive");
    (std::string_view(name) == "batch-wait" ? options.batch_wait : options.max_backoff) = *d;
  }
  options.min_backoff = std::min(options.min_backoff, options.max_backoff);

  Shipper shipper(std::move(options));
  g_shipper = &shipper;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  Status st = shipper.Run();
  g_shipper = nullptr;
  ShipStats stats = shipper.stats();
  std::fprintf(stderr,
               "quartet ship: shipped %llu lines in %llu batches; skipped %llu batches (%llu "
               "lines) rejected by the server; %llu retries\n",
               static_cast<unsigned long long>(stats.lines_shipped),
               static_cast<unsigned long long>(stats.batches_shipped),
               static_cast<unsigned long long>(stats.batches_skipped),
               static_cast<unsigned long long>(stats.lines_skipped),
               static_cast<unsigned long long>(stats.retries));
  if (!st.ok()) {
    std::fprintf(stderr, "quartet ship: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace quartet::ship
