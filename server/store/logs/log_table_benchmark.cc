// Log table throughput: appends of realistic JSON lines (~300 B, 10 streams)
// in MB/s of line text, stored block bytes against raw line bytes, and a
// `|=` substring scan over blocks in GB/s of raw line text. Three data sets
// (the `data` argument): 0 = the access-log lines of Batch() with no trace
// link on the row (the original figures); 1 = the same lines linked as the
// Loki push ingest links them (trace id parsed from the line onto the row and
// into structured metadata); 2 = lines exactly as the quartet SDK writes them
// (sdk/log/log_line.cc: RFC 3339 nanosecond time, trace and span ids, random
// request id), linked the same way. Ratios are block file bytes over the sum
// of line bytes; the fixture prints them per kind of section after the
// flushes and after compacting the flushed blocks (the steady state, which
// the scans read), with the CPU time of each. Scans report cpu_GBps: raw line
// bytes per second of the scanning thread's CPU.
//
//   build-l/bin/log_table_benchmark --benchmark_filter='Scan|Stored' --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>

#include "server/store/block/block_reader.h"
#include "server/store/logs/log_table.h"

namespace quartet::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// One batch of `rows` lines over 10 streams, like a service's JSON logs.
std::vector<LogStream> Batch(std::mt19937* rng, int64_t* ts, int rows, size_t* bytes) {
  static const char* kPaths[] = {"/api/cart", "/api/checkout", "/api/users/{id}", "/health",
                                 "/api/search"};
  static const char* kLevels[] = {"info", "info", "info", "debug", "warn", "error"};
  std::vector<LogStream> batch(10);
  for (int s = 0; s < 10; ++s) {
    batch[s].labels = {{"env", "prod"}, {"service", "svc-" + std::to_string(s)}};
  }
  for (int i = 0; i < rows; ++i) {
    LogEntry e;
    e.timestamp_ns = (*ts += 1000 + (*rng)() % 1000);
    char trace[33];
    snprintf(trace, sizeof trace, "%016llx%016llx", static_cast<unsigned long long>((*rng)()),
             static_cast<unsigned long long>((*rng)()));
    e.line = std::string("{\"ts\":\"2024-05-01T12:") + std::to_string(10 + (*rng)() % 50) + ":" +
             std::to_string(10 + (*rng)() % 50) + "." + std::to_string((*rng)() % 1000) +
             "Z\",\"level\":\"" + kLevels[(*rng)() % 6] + "\",\"msg\":\"request completed\"," +
             "\"method\":\"GET\",\"path\":\"" + kPaths[(*rng)() % 5] +
             "\",\"status\":" + std::to_string((*rng)() % 10 == 0 ? 500 : 200) +
             ",\"duration_ms\":" + std::to_string((*rng)() % 2000) + ",\"user_id\":\"u-" +
             std::to_string((*rng)() % 100000) + "\",\"trace_id\":\"" + trace +
             "\",\"client\":\"10.0." + std::to_string((*rng)() % 255) + "." +
             std::to_string((*rng)() % 255) + "\",\"bytes\":" + std::to_string((*rng)() % 65536) +
             ",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\"}";
    *bytes += e.line.size();
    batch[(*rng)() % 10].entries.push_back(std::move(e));
  }
  return batch;
}

std::unique_ptr<LogTable> OpenFresh(const std::string& dir, TableOptions* options) {
  std::filesystem::remove_all(dir);
  options->dir = dir;
  options->sync = SyncPolicy::kNever;
  return std::move(LogTable::Open(*options, /*background=*/false).value());
}

void BM_Append(benchmark::State& state) {
  const std::string dir = std::filesystem::temp_directory_path() / "log_table_bench_append";
  TableOptions options;
  options.head_flush_bytes = 64 << 20;
  auto table = OpenFresh(dir, &options);
  std::mt19937 rng(1);
  int64_t ts = kT0;
  size_t bytes = 0;
  std::vector<std::vector<LogStream>> batches;
  for (int i = 0; i < 64; ++i) batches.push_back(Batch(&rng, &ts, 1000, &bytes));
  size_t done = 0, raw = 0;
  for (auto _ : state) {
    std::vector<LogStream> b = batches[done++ % batches.size()];
    for (auto& s : b) {
      for (auto& e : s.entries) {
        e.timestamp_ns += static_cast<int64_t>(done) * 1'000'000'000;
        raw += e.line.size();
      }
    }
    if (!table->AppendLogs(std::move(b)).ok()) state.SkipWithError("append failed");
    if (table->stats().head_bytes > options.head_flush_bytes) (void)table->Flush();
  }
  state.SetBytesProcessed(static_cast<int64_t>(raw));
  table.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Append)->Unit(benchmark::kMillisecond)->UseRealTime();

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Stored bytes per kind of section (the part of a name after "pN."), as
// bytes per raw line byte: where the bytes go.
void PrintSections(const std::string& blocks, size_t raw) {
  std::map<std::string, uint64_t> kinds;
  uint64_t total = 0;
  for (const auto& f : std::filesystem::directory_iterator(blocks)) {
    if (f.path().extension() != ".blk") continue;
    auto r = BlockReader::Open(f.path());
    if (!r.ok()) continue;
    total += (*r)->file_bytes();
    for (const SectionInfo& s : (*r)->sections()) {
      kinds[s.name.substr(
          s.name.find('.') == std::string::npos || s.name[0] != 'p' ? 0 : s.name.find('.') + 1)] +=
          s.stored_len;
    }
  }
  for (const auto& [kind, bytes] : kinds) {
    fprintf(stderr, "  %-12s %8.2f MB  %.4f of raw\n", kind.c_str(), bytes / 1e6,
            static_cast<double>(bytes) / static_cast<double>(raw));
  }
  fprintf(stderr, "  %-12s %8.2f MB  %.4f of raw\n", "(files)", total / 1e6,
          static_cast<double>(total) / static_cast<double>(raw));
}

// Batch() as the Loki push ingest stores it: the line's trace_id becomes the
// row's trace link and structured metadata (server/ingest/loki/loki_push.cc).
std::vector<LogStream> LinkedBatch(std::mt19937* rng, int64_t* ts, int rows, size_t* bytes) {
  std::vector<LogStream> batch = Batch(rng, ts, rows, bytes);
  for (LogStream& s : batch) {
    for (LogEntry& e : s.entries) {
      const size_t at = e.line.find("\"trace_id\":\"") + 12;
      const std::string hex = e.line.substr(at, 32);
      for (int i = 0; i < 16; ++i) {
        e.trace_id.bytes[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
      }
      e.structured_metadata = {{"trace_id", hex}};
    }
  }
  return batch;
}

std::string RandomHex(std::mt19937_64* rng, uint8_t* bytes, int n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) {
    bytes[i] = static_cast<uint8_t>((*rng)());
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string Rfc3339Nanos(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[48];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

// Requests of the checkout example as its SDK logs them (one to three lines
// per request, sharing trace and request ids), over 4 instances, linked as
// the Loki push ingest links them (trace and span id on the row and in
// structured metadata).
std::vector<LogStream> SdkBatch(std::mt19937_64* rng, int64_t* ts, int rows, size_t* bytes) {
  static const char* kQueries[] = {
      "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM orders WHERE user_id = ?1",
      "SELECT id, amount_cents, created_at FROM orders WHERE user_id = ?1 ORDER BY id DESC LIMIT "
      "1"};
  std::vector<LogStream> batch(4);
  for (int s = 0; s < 4; ++s) {
    batch[s].labels = {{"service_name", "checkout"}, {"instance", "checkout-" + std::to_string(s)}};
  }
  for (int done = 0; done < rows;) {
    LogStream& stream = batch[(*rng)() % 4];
    TraceId trace;
    const std::string trace_hex = RandomHex(rng, trace.bytes.data(), 16);
    uint8_t request[16];
    const std::string request_id = RandomHex(rng, request, 16);
    const uint64_t user = (*rng)() % 5000;
    const int lines = 1 + static_cast<int>((*rng)() % 3);
    *ts += 200'000 + static_cast<int64_t>((*rng)() % 800'000);
    int64_t t = *ts;
    for (int i = 0; i < lines && done < rows; ++i, ++done) {
      LogEntry e;
      e.timestamp_ns = (t += 20'000 + static_cast<int64_t>((*rng)() % 400'000));
      e.trace_id = trace;
      const std::string span_hex = RandomHex(rng, e.span_id.bytes.data(), 8);
      char duration[32];
      snprintf(duration, sizeof duration, "%.6f", static_cast<double>((*rng)() % 3'000'000) / 1e6);
      const bool slow = (*rng)() % 50 == 0;
      const bool done_line = i == lines - 1 && lines > 1;
      e.line = "{\"time\":\"" + Rfc3339Nanos(e.timestamp_ns) + "\",\"level\":\"" +
               (slow ? "WARN" : "INFO") + "\",\"message\":\"" +
               (done_line ? "checkout done" : "db query") + "\",\"service\":\"checkout\"";
      if (done_line) {
        e.line += ",\"http.route\":\"/checkout\",\"status\":" +
                  std::string((*rng)() % 100 == 0 ? "500" : "200") +
                  ",\"orders\":" + std::to_string((*rng)() % 40);
      } else {
        e.line += ",\"query\":\"" + std::string(kQueries[(*rng)() % 2]) +
                  "\",\"duration_ms\":" + duration + ",\"rows\":" + std::to_string((*rng)() % 40);
      }
      e.line += ",\"user_id\":" + std::to_string(user) + ",\"trace_id\":\"" + trace_hex +
                "\",\"span_id\":\"" + span_hex + "\",\"sampled\":true,\"request_id\":\"" +
                request_id + "\"}";
      e.structured_metadata = {{"span_id", span_hex}, {"trace_id", trace_hex}};
      *bytes += e.line.size();
      stream.entries.push_back(std::move(e));
    }
  }
  return batch;
}

// One table of ~100-170 MB of lines in blocks per data set, shared by the
// scan benchmarks.
struct ScanFixture {
  std::string dir;
  TableOptions options;
  std::unique_ptr<LogTable> table;
  size_t raw = 0;
  explicit ScanFixture(int data)
      : dir(std::filesystem::temp_directory_path() /
            ("log_table_bench_scan" + std::to_string(data))) {
    table = OpenFresh(dir, &options);
    std::mt19937 rng(2);
    std::mt19937_64 rng64(2);
    int64_t ts = kT0;
    double flush_cpu = 0;
    for (int i = 0; i < 600; ++i) {
      (void)table->AppendLogs(data == 0   ? Batch(&rng, &ts, 1000, &raw)
                              : data == 1 ? LinkedBatch(&rng, &ts, 1000, &raw)
                                          : SdkBatch(&rng64, &ts, 1000, &raw));
      if (i % 150 == 149) {
        const double t = ThreadCpuSeconds();
        (void)table->Flush();
        flush_cpu += ThreadCpuSeconds() - t;
      }
    }
    Print("flushed", data);
    fprintf(stderr, "  flush: %.2f CPU s, %.0f MB/s of raw lines per core\n", flush_cpu,
            raw / 1e6 / flush_cpu);
    // The steady state: blocks of a settled window compacted into one (text
    // at kLogCompactedTextLevel when small enough). The scans below read
    // these; LOG_BENCH_FLUSH_ONLY=1 skips it (quicker scan runs).
    if (getenv("LOG_BENCH_FLUSH_ONLY") != nullptr) return;
    const double t = ThreadCpuSeconds();
    (void)table->Compact();
    const double compact_cpu = ThreadCpuSeconds() - t;
    Print("compacted", data);
    fprintf(stderr, "  compaction: %.2f CPU s, %.0f MB/s of raw lines per core\n", compact_cpu,
            raw / 1e6 / compact_cpu);
  }
  void Print(const char* what, int data) {
    LogTableStats s = table->stats();
    fprintf(stderr,
            "data %d %s: %lld rows, %.1f MB raw lines, %.2f MB in %lld blocks: %.4f of raw "
            "(1/%.2f)\n",
            data, what, static_cast<long long>(s.block_rows), raw / 1e6, s.block_bytes / 1e6,
            static_cast<long long>(s.blocks),
            static_cast<double>(s.block_bytes) / static_cast<double>(raw),
            static_cast<double>(raw) / static_cast<double>(s.block_bytes));
    PrintSections(dir + "/blocks", raw);
  }
  ~ScanFixture() {
    table.reset();
    std::filesystem::remove_all(dir);
  }
};
ScanFixture& Fixture(int data = 0) {
  static std::map<int, std::unique_ptr<ScanFixture>> fixtures;
  std::unique_ptr<ScanFixture>& f = fixtures[data];
  if (f == nullptr) f = std::make_unique<ScanFixture>(data);
  return *f;
}

// Needles per data set: a frequent one (~10%) and a rare one.
const char* Needle(int data, bool rare) {
  if (data == 2) return rare ? "\"user_id\":1234," : "\"WARN\"";
  return rare ? "u-12345\"" : "\"status\":500";
}

void BM_ScanSubstring(benchmark::State& state) {
  ScanFixture& f = Fixture(static_cast<int>(state.range(2)));
  LogScan scan;
  scan.direction = state.range(0) ? Direction::kBackward : Direction::kForward;
  scan.required_substrings = {Needle(static_cast<int>(state.range(2)), state.range(1) != 0)};
  int64_t matched = 0;
  double cpu = 0;
  for (auto _ : state) {
    matched = 0;
    const double t = ThreadCpuSeconds();
    (void)f.table->Scan(scan, [&](const LogRow&) {
      ++matched;
      return true;
    });
    cpu += ThreadCpuSeconds() - t;
  }
  state.counters["matched"] = static_cast<double>(matched);
  // Raw line bytes per second of this thread's CPU: the per-core figure,
  // which wall time misstates on a shared machine.
  state.counters["cpu_GBps"] =
      static_cast<double>(state.iterations()) * static_cast<double>(f.raw) / cpu / 1e9;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.raw));
}
BENCHMARK(BM_ScanSubstring)
    ->ArgsProduct({{0, 1}, {0, 1}, {0, 1, 2}})
    ->ArgNames({"backward", "rare", "data"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_StoredBytes(benchmark::State& state) {
  ScanFixture& f = Fixture(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(f.table->stats());
  state.counters["raw_over_stored"] =
      static_cast<double>(f.raw) / static_cast<double>(f.table->stats().block_bytes);
}
BENCHMARK(BM_StoredBytes)->DenseRange(0, 2)->ArgName("data")->Iterations(1);

// The LogQL evaluator's pattern: newest 100 lines of one stream.
void BM_ScanLimit100Backward(benchmark::State& state) {
  ScanFixture& f = Fixture();
  LogScan scan;
  scan.matchers = {{"service", LabelMatch::Op::kEq, "svc-3"}};
  for (auto _ : state) {
    int n = 0;
    (void)f.table->Scan(scan, [&](const LogRow&) { return ++n < 100; });
  }
}
BENCHMARK(BM_ScanLimit100Backward)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();
