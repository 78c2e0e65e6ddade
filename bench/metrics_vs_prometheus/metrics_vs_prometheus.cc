// metrics_vs_prometheus: quartetd and Prometheus 2.42 measured in the same
// run on the same data (see README.md beside this file). It starts both
// servers on loopback, remote-writes the same service metrics to each, 15 s
// apart over some hours, backfilled in timestamp order, and prints one table.
// Two data sets: "busy" (generated high-traffic counters and histograms, every
// series changing every step) and "scrape" (a real service's recorded /metrics
// scrapes replayed for many instances: scrape_replay.h). Figures:
//   - ingest: samples per CPU-second of the server process (utime+stime from
//     /proc/<pid>/stat), and wall samples/s;
//   - memory per active series: RSS after ingest minus RSS before, / series;
//   - bytes on disk per sample: quartetd after its shutdown flush (its
//     metric blocks); Prometheus for the blocks its head compaction cut
//     (bytes of those block directories / their meta.json numSamples);
//   - range query latency, p50 of N runs over 1 h at a 15 s step: rate() of
//     1,000 counters and histogram_quantile over 1,000 bucket series; the
//     runs alternate between the two servers (both running), so that both
//     see the same load on a shared machine.
// Usage: metrics_vs_prometheus [--data busy|scrape] [--recording FILE]
//        [--replay cycle|shuffle]
//        [--series-groups N] [--hours H] [--runs N] [--quartetd PATH]
//        [--prometheus PATH] [--keep]
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/metrics_vs_prometheus/scrape_replay.h"
#include "wire/prometheus/remote_write_body.h"

namespace {

namespace fs = std::filesystem;
namespace rw = quartet::prometheus::rw;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string data = "busy";
  // scrape: the order of the recorded transitions. Not "cycle" by default:
  // instances and cycles that repeat the same increments bit for bit let
  // quartetd's zstd pages find them (0.20 vs 0.42 B/sample, README.md).
  std::string replay = "shuffle";
  std::string recording =
      (fs::path(__FILE__).parent_path() / "data" / "checkout_scrapes.txt.gz").string();
  int groups = 100;  // busy: 10 counters + one 10-bucket histogram; scrape: instances
  double hours = 4;  // > 3 h so that Prometheus cuts its first 2 h block
  int runs = 10;
  std::string quartetd = "build/bin/quartetd";
  std::string prometheus = "/usr/bin/prometheus";
  bool keep = false;
};

// ---- the data -----------------------------------------------------------------

constexpr int64_t kStepMs = 15'000;

// A data set: its series, advanced one 15 s step at a time.
class DataSet {
 public:
  virtual ~DataSet() = default;
  virtual size_t series() const = 0;
  // Advances every series by one step and appends its sample at t_ms.
  virtual void Step(int64_t t_ms, std::vector<rw::TimeSeries>* out) = 0;
};
constexpr double kBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
constexpr int kCountersPerGroup = 10;

struct Series {
  std::vector<quartet::prometheus::Label> labels;
  double value = 0;
};

// "busy": counters http_requests_total{service,route,status,instance} and a
// latency histogram per (service, instance); values advance as a busy
// service's would (per-step increments around a per-series rate, latencies
// log-normal): every series changes every step by a high-entropy amount.
class Generator : public DataSet {
 public:
  explicit Generator(int groups) : rng_(42) {
    for (int g = 0; g < groups; ++g) {
      const std::string service = "svc-" + std::to_string(g / 10);
      const std::string instance = "10.0." + std::to_string(g / 10) + "." + std::to_string(g % 10);
      for (int c = 0; c < kCountersPerGroup; ++c) {
        Series s;
        s.labels = {{"__name__", "bench_http_requests_total"},
                    {"instance", instance},
                    {"job", service},
                    {"route", "/api/v" + std::to_string(c / 2)},
                    {"status", c % 2 ? "500" : "200"}};
        counters_.push_back(std::move(s));
        rates_.push_back(c % 2 ? 0.2 : 20.0 + c);
      }
      Histogram h;
      for (double le : kBounds) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", le);
        h.buckets.push_back(
            MakeSeries("bench_request_duration_seconds_bucket", service, instance, buf));
      }
      h.buckets.push_back(
          MakeSeries("bench_request_duration_seconds_bucket", service, instance, "+Inf"));
      h.sum = MakeSeries("bench_request_duration_seconds_sum", service, instance, "");
      h.count = MakeSeries("bench_request_duration_seconds_count", service, instance, "");
      histograms_.push_back(std::move(h));
    }
  }
  size_t series() const override {
    return counters_.size() + histograms_.size() * (std::size(kBounds) + 3);
  }

  void Step(int64_t t_ms, std::vector<rw::TimeSeries>* out) override {
    for (size_t i = 0; i < counters_.size(); ++i) {
      counters_[i].value += std::poisson_distribution<int>(rates_[i] * 15)(rng_);
      Append(counters_[i], t_ms, out);
    }
    std::lognormal_distribution<double> latency(std::log(0.08), 0.7);
    for (Histogram& h : histograms_) {
      const int n = std::poisson_distribution<int>(150)(rng_);
      for (int k = 0; k < n; ++k) {
        const double v = latency(rng_);
        for (size_t b = 0; b < std::size(kBounds); ++b) {
          if (v <= kBounds[b]) h.buckets[b].value += 1;
        }
        h.buckets.back().value += 1;
        h.sum.value += v;
      }
      h.count.value = h.buckets.back().value;
      for (Series& b : h.buckets) Append(b, t_ms, out);
      Append(h.sum, t_ms, out);
      Append(h.count, t_ms, out);
    }
  }

 private:
  struct Histogram {
    std::vector<Series> buckets;
    Series sum, count;
  };
  static Series MakeSeries(const std::string& name, const std::string& service,
                           const std::string& instance, const std::string& le) {
    Series s;
    s.labels = {{"__name__", name}, {"instance", instance}, {"job", service}};
    if (!le.empty()) s.labels.push_back({"le", le});
    return s;
  }
  static void Append(const Series& s, int64_t t_ms, std::vector<rw::TimeSeries>* out) {
    rw::TimeSeries& ts = out->emplace_back();
    ts.labels = s.labels;
    ts.samples.push_back({.value = s.value, .timestamp_ms = t_ms});
  }

  std::mt19937_64 rng_;
  std::vector<Series> counters_;
  std::vector<double> rates_;
  std::vector<Histogram> histograms_;
};

// "scrape": the recorded checkout service, `groups` instances of it.
class ScrapeData : public DataSet {
 public:
  ScrapeData(const mvp::Recording& rec, int groups, mvp::ReplayOrder order)
      : replay_(rec, groups, order) {}
  size_t series() const override { return replay_.series(); }
  void Step(int64_t t_ms, std::vector<rw::TimeSeries>* out) override { replay_.Step(t_ms, out); }

 private:
  mvp::ScrapeReplay replay_;
};

// What a run needs to know of its data set: how to make it (afresh for each
// server, so both get the same samples) and which queries to time on it.
struct DataChoice {
  std::function<std::unique_ptr<DataSet>()> make;
  std::string rate_query, quantile_query;
  std::string description;  // printed with the results
};

// ---- processes and /proc ---------------------------------------------------

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::fflush(stdout);  // else the child writes our buffered output again
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void StopProcess(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) {
      stime = std::stol(f);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

size_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

// A loopback port the kernel has just handed out (and that is free again).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// Polls `path` until 200; false when `pid` exits or after a minute.
bool WaitReady(pid_t pid, int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  for (int i = 0; i < 600; ++i) {
    if (auto r = c.Get(path); r && r->status == 200) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// ---- one server ------------------------------------------------------------

struct Figures {
  double samples = 0, cpu_s = 0, wall_s = 0;
  size_t rss_before = 0, rss_after = 0;
  double bytes_per_sample = 0;
  uint64_t disk_bytes = 0;
  uint64_t wal_bytes = 0;  // quartetd: of disk_bytes, the WAL its shutdown leaves
  double disk_samples = 0;
  double rate_p50_ms = 0, quantile_p50_ms = 0;
  double rate_cpu_ms = 0, quantile_cpu_ms = 0;  // server CPU per query, mean
  std::string note;
};

// Remote-writes the whole data set to port in timestamp order, requests of
// about 10,000 samples (whole steps), over one connection.
double Ingest(int port, const DataChoice& data, int64_t start_ms, int steps, Figures* f,
              pid_t pid) {
  const std::unique_ptr<DataSet> gen = data.make();
  const int steps_per_request = std::max<int>(1, static_cast<int>(10000 / gen->series()));
  std::vector<std::string> bodies;
  size_t samples = 0;
  for (int s = 0; s < steps; s += steps_per_request) {
    std::vector<rw::TimeSeries> series;
    for (int k = s; k < std::min(steps, s + steps_per_request); ++k) {
      gen->Step(start_ms + k * kStepMs, &series);
    }
    samples += series.size();
    // One TimeSeries per series with all its samples of these steps.
    std::map<std::string, rw::TimeSeries> merged;
    for (rw::TimeSeries& ts : series) {
      std::string key;
      for (const auto& l : ts.labels) key += l.name + "=" + l.value + ",";
      rw::TimeSeries& m = merged[key];
      if (m.labels.empty()) m.labels = ts.labels;
      m.samples.insert(m.samples.end(), ts.samples.begin(), ts.samples.end());
    }
    rw::WriteRequest request;
    for (auto& [k, ts] : merged) request.timeseries.push_back(std::move(ts));
    bodies.push_back(rw::EncodeRemoteWriteBody(request));
  }
  f->samples = static_cast<double>(samples);
  const double cpu0 = CpuSeconds(pid);
  const auto t0 = Clock::now();
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60);
  for (const std::string& body : bodies) {
    httplib::Headers h = {{"Content-Encoding", "snappy"},
                          {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
    auto r = c.Post("/api/v1/write", h, body, "application/x-protobuf");
    if (!r || r->status / 100 != 2) {
      std::fprintf(stderr, "remote_write to port %d failed: %d %s\n", port, r ? r->status : 0,
                   r ? r->body.c_str() : "");
      return -1;
    }
  }
  f->wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  f->cpu_s = CpuSeconds(pid) - cpu0;
  return f->samples;
}

// One query_range call over the last hour at a 15 s step: milliseconds, or
// -1 when it failed or returned no series.
double TimeQuery(httplib::Client& c, int port, const std::string& query, int64_t end_ms) {
  const std::string end = std::to_string(end_ms / 1000);
  const std::string start = std::to_string(end_ms / 1000 - 3600);
  httplib::Params p = {{"query", query}, {"start", start}, {"end", end}, {"step", "15"}};
  const auto t0 = Clock::now();
  auto r = c.Post("/api/v1/query_range", p);
  const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!r || r->status != 200 || r->body.find("\"result\":[{") == std::string::npos) {
    std::fprintf(stderr, "query on port %d failed: %s\n", port,
                 r ? r->body.substr(0, 300).c_str() : "");
    return -1;
  }
  return elapsed;
}

// Latency and server CPU time of `query` on both servers: p50 of `runs`
// runs after one warm-up run each, and the mean CPU time (utime + stime of
// the server process around its own calls; 10 ms ticks, averaged over the
// runs). The runs alternate between the servers (quartetd, Prometheus,
// quartetd, ...), so that on a shared machine both see the same load; the
// CPU time does not depend on that load.
bool Interleaved(int qport, pid_t qpid, int pport, pid_t ppid, const std::string& query,
                 int64_t end_ms, int runs, double* q_ms, double* p_ms, double* q_cpu_ms,
                 double* p_cpu_ms) {
  httplib::Client qc("127.0.0.1", qport), pc("127.0.0.1", pport);
  qc.set_read_timeout(120);
  pc.set_read_timeout(120);
  std::vector<double> qs, ps;
  double qcpu = 0, pcpu = 0;
  for (int i = 0; i < runs + 1; ++i) {
    const double q0 = CpuSeconds(qpid);
    const double q = TimeQuery(qc, qport, query, end_ms);
    const double q1 = CpuSeconds(qpid), p0 = CpuSeconds(ppid);
    const double p = TimeQuery(pc, pport, query, end_ms);
    const double p1 = CpuSeconds(ppid);
    if (q < 0 || p < 0) return false;
    if (i == 0) continue;  // the first run warms caches
    qs.push_back(q);
    ps.push_back(p);
    qcpu += q1 - q0;
    pcpu += p1 - p0;
  }
  std::sort(qs.begin(), qs.end());
  std::sort(ps.begin(), ps.end());
  *q_ms = qs[qs.size() / 2];
  *p_ms = ps[ps.size() / 2];
  *q_cpu_ms = qcpu * 1000 / runs;
  *p_cpu_ms = pcpu * 1000 / runs;
  return true;
}

// Prometheus's blocks (not the head/WAL): bytes and meta.json numSamples.
void PrometheusBlocks(const fs::path& dir, uint64_t* bytes, double* samples) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path meta = entry.path() / "meta.json";
    if (!entry.is_directory() || !fs::exists(meta)) continue;
    std::ifstream in(meta);
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    const size_t at = s.find("\"numSamples\":");
    if (at == std::string::npos) continue;
    *samples += std::stod(s.substr(at + 13));
    *bytes += DirBytes(entry.path());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--data")
      o.data = next();
    else if (a == "--recording")
      o.recording = next();
    else if (a == "--replay")
      o.replay = next();
    else if (a == "--series-groups")
      o.groups = std::stoi(next());
    else if (a == "--hours")
      o.hours = std::stod(next());
    else if (a == "--runs")
      o.runs = std::stoi(next());
    else if (a == "--quartetd")
      o.quartetd = next();
    else if (a == "--prometheus")
      o.prometheus = next();
    else if (a == "--keep")
      o.keep = true;
    else {
      o.data.clear();  // prints the usage below
      break;
    }
  }
  if ((o.data != "busy" && o.data != "scrape") || (o.replay != "cycle" && o.replay != "shuffle")) {
    std::fprintf(stderr,
                 "usage: %s [--data busy|scrape] [--recording FILE] [--replay cycle|shuffle] "
                 "[--series-groups N] "
                 "[--hours H] [--runs N] [--quartetd PATH] [--prometheus PATH] [--keep]\n",
                 argv[0]);
    return 2;
  }
  const fs::path root =
      fs::temp_directory_path() / ("metrics_vs_prometheus." + std::to_string(getpid()));
  const int steps = static_cast<int>(o.hours * 3600 * 1000 / kStepMs);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t start_ms = (now_ms - steps * kStepMs - 60'000) / kStepMs * kStepMs;
  const int64_t end_ms = start_ms + (steps - 1) * kStepMs;
  DataChoice data;
  mvp::Recording recording;
  if (o.data == "busy") {
    data.make = [&] { return std::make_unique<Generator>(o.groups); };
    data.rate_query = "sum by (job, route) (rate(bench_http_requests_total[5m]))";
    data.quantile_query =
        "histogram_quantile(0.99, sum by (job, le) "
        "(rate(bench_request_duration_seconds_bucket[5m])))";
    data.description = "busy: " + std::to_string(o.groups * kCountersPerGroup) + " counters, " +
                       std::to_string(o.groups) + " histograms x 13 series";
  } else {
    quartet::Result<mvp::Recording> loaded = mvp::LoadRecording(o.recording);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
      return 1;
    }
    recording = std::move(*loaded);
    const mvp::ReplayOrder order =
        o.replay == "cycle" ? mvp::ReplayOrder::kCycle : mvp::ReplayOrder::kShuffle;
    if (quartet::Status st = mvp::CheckReplay(recording, order); !st.ok()) {
      std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
      return 1;
    }
    data.make = [&, order] { return std::make_unique<ScrapeData>(recording, o.groups, order); };
    data.rate_query = "sum by (job, route) (rate(http_server_request_duration_seconds_count[5m]))";
    data.quantile_query =
        "histogram_quantile(0.99, sum by (job, le) "
        "(rate(http_server_request_duration_seconds_bucket[5m])))";
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "scrape (%s replay): %d instances x %zu recorded series (%zu cumulative, %zu "
                  "gauge-like) "
                  "of %s, %d scrapes (%.0f min; replay checked against them)",
                  o.replay.c_str(), o.groups, recording.series.size(), recording.cumulatives,
                  recording.gauges, fs::path(o.recording).filename().c_str(), recording.scrapes,
                  static_cast<double>(recording.last_ms - recording.first_ms) / 60000);
    data.description = buf;
  }
  const size_t series = data.make()->series();
  fs::create_directories(root);
  std::printf("data: %s\n      %zu series, %d steps of 15 s (%.1f h)\n", data.description.c_str(),
              series, steps, o.hours);

  Figures q, p;
  pid_t qpid = 0;
  int qport = 0;
  // quartetd: ingest, memory, then SIGTERM (which flushes the head to
  // blocks), measure the disk, start again on the blocks for the queries.
  {
    const int port = FreePort();
    const std::vector<std::string> args = {o.quartetd,
                                           "--data-dir",
                                           (root / "quartetd").string(),
                                           "--http-listen",
                                           "127.0.0.1:" + std::to_string(port),
                                           "--grpc-listen",
                                           "127.0.0.1:0"};
    pid_t pid = Spawn(args, (root / "quartetd.log").string());
    if (!WaitReady(pid, port, "/ready")) {
      std::fprintf(stderr, "quartetd did not start: see %s\n", (root / "quartetd.log").c_str());
      return 1;
    }
    q.rss_before = RssBytes(pid);
    if (Ingest(port, data, start_ms, steps, &q, pid) < 0) return 1;
    q.rss_after = RssBytes(pid);
    StopProcess(pid);
    q.disk_bytes = DirBytes(root / "quartetd" / "metrics");
    q.wal_bytes = DirBytes(root / "quartetd" / "metrics" / "wal");
    q.disk_samples = q.samples;
    // Kept running (idle) for the queries, interleaved with Prometheus's.
    qpid = Spawn(args, (root / "quartetd2.log").string());
    qport = port;
    if (!WaitReady(qpid, port, "/ready")) return 1;
  }
  // Prometheus: the same; its head compaction cuts the first 2 h block once
  // the head spans 3 h (wait for it), the rest stays in head + WAL.
  {
    const int port = FreePort();
    std::ofstream(root / "prometheus.yml") << "global:\n  scrape_interval: 15s\n";
    const pid_t pid = Spawn({o.prometheus, "--config.file=" + (root / "prometheus.yml").string(),
                             "--storage.tsdb.path=" + (root / "prometheus").string(),
                             "--web.listen-address=127.0.0.1:" + std::to_string(port),
                             "--web.enable-remote-write-receiver"},
                            (root / "prometheus.log").string());
    if (!WaitReady(pid, port, "/-/ready")) {
      std::fprintf(stderr, "prometheus did not start: see %s\n", (root / "prometheus.log").c_str());
      return 1;
    }
    p.rss_before = RssBytes(pid);
    if (Ingest(port, data, start_ms, steps, &p, pid) < 0) return 1;
    p.rss_after = RssBytes(pid);
    if (!Interleaved(qport, qpid, port, pid, data.rate_query, end_ms, o.runs, &q.rate_p50_ms,
                     &p.rate_p50_ms, &q.rate_cpu_ms, &p.rate_cpu_ms) ||
        !Interleaved(qport, qpid, port, pid, data.quantile_query, end_ms, o.runs,
                     &q.quantile_p50_ms, &p.quantile_p50_ms, &q.quantile_cpu_ms,
                     &p.quantile_cpu_ms)) {
      return 1;
    }
    StopProcess(qpid);
    // Head compaction runs every minute: wait up to 3 min for a block.
    for (int i = 0; i < 180 && p.disk_samples == 0; ++i) {
      p.disk_bytes = 0;
      PrometheusBlocks(root / "prometheus", &p.disk_bytes, &p.disk_samples);
      if (p.disk_samples == 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    StopProcess(pid);
    if (p.disk_samples == 0) p.note = "(no block cut: use --hours > 3)";
  }

  auto row = [&](const char* name, const Figures& f) {
    const double per_series_kb =
        (static_cast<double>(f.rss_after) - static_cast<double>(f.rss_before)) / series / 1024;
    std::printf("%-11s %14.0f %12.0f %10.2f %10.3f %12.1f %15.1f %12.1f %16.1f %s\n", name,
                f.samples / std::max(f.cpu_s, 1e-9), f.samples / f.wall_s, per_series_kb,
                f.disk_samples > 0 ? static_cast<double>(f.disk_bytes) / f.disk_samples : 0.0,
                f.rate_p50_ms, f.quantile_p50_ms, f.rate_cpu_ms, f.quantile_cpu_ms, f.note.c_str());
  };
  std::printf("\n%-11s %14s %12s %10s %10s %12s %15s %12s %16s\n", "server", "samples/cpu-s",
              "samples/s", "KiB/series", "B/sample", "rate p50 ms", "quantile p50 ms",
              "rate cpu ms", "quantile cpu ms");
  row("quartetd", q);
  row("prometheus", p);
  std::printf(
      "\ndata %s: %.2fM samples sent, %zu series; disk: quartetd %llu bytes for %.0f samples "
      "(WAL %llu), prometheus %llu bytes for %.0f samples (its first blocks)\n"
      "query range 1 h at 15 s step, p50 of %d runs:\n  rate:     %s\n  quantile: %s\n",
      o.data.c_str(), q.samples / 1e6, series, static_cast<unsigned long long>(q.disk_bytes),
      q.disk_samples, static_cast<unsigned long long>(q.wal_bytes),
      static_cast<unsigned long long>(p.disk_bytes), p.disk_samples, o.runs,
      data.rate_query.c_str(), data.quantile_query.c_str());
  if (!o.keep) fs::remove_all(root);
  return 0;
}
