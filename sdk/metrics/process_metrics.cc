#include "sdk/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace quartet::metrics_internal {
namespace {

using prometheus::Family;
using prometheus::MetricType;
using prometheus::Point;

void Add(std::vector<Family>* out, const char* name, const char* help, MetricType type,
         double value) {
  Family f;
  f.name = name;
  f.help = help;
  f.type = type;
  Point p;
  p.value = value;
  f.points.push_back(std::move(p));
  out->push_back(std::move(f));
}

bool ReadFile(const char* path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Seconds since the epoch at boot, from /proc/stat's btime line.
bool BootTime(double* out) {
  std::string stat;
  if (!ReadFile("/proc/stat", &stat)) return false;
  size_t pos = stat.find("\nbtime ");
  if (pos == std::string::npos) return false;
  *out = std::strtod(stat.c_str() + pos + 7, nullptr);
  return true;
}

}  // namespace

void AppendProcessFamilies(std::vector<Family>* out) {
  long ticks = sysconf(_SC_CLK_TCK);
  long page = sysconf(_SC_PAGESIZE);
  std::string stat;
  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces and
  // parentheses, so fields are counted from the last ')'.
  if (ReadFile("/proc/self/stat", &stat) && ticks > 0 && page > 0) {
    size_t close = stat.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(stat.substr(close + 2));
      std::vector<std::string> f;
      std::string tok;
      while (fields >> tok) f.push_back(tok);
      // f[0] is field 3 (state); field k is f[k - 3].
      if (f.size() >= 22) {
        double utime = std::strtod(f[11].c_str(), nullptr);
        double stime = std::strtod(f[12].c_str(), nullptr);
        double threads = std::strtod(f[17].c_str(), nullptr);
        double start_ticks = std::strtod(f[19].c_str(), nullptr);
        double vsize = std::strtod(f[20].c_str(), nullptr);
        double rss_pages = std::strtod(f[21].c_str(), nullptr);
        Add(out, "process_cpu_seconds", "Total user and system CPU time spent in seconds.",
            MetricType::kCounter, (utime + stime) / static_cast<double>(ticks));
        Add(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
            MetricType::kGauge, rss_pages * static_cast<double>(page));
        Add(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
            MetricType::kGauge, vsize);
        Add(out, "quartet_process_threads", "Number of OS threads in the process.",
            MetricType::kGauge, threads);
        double boot = 0;
        if (BootTime(&boot)) {
          Add(out, "process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", MetricType::kGauge,
              boot + start_ticks / static_cast<double>(ticks));
        }
      }
    }
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    double n = 0;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
    Add(out, "process_open_fds", "Number of open file descriptors.", MetricType::kGauge, n);
  }
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    Add(out, "process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge,
        static_cast<double>(lim.rlim_cur));
  }
  if (getrlimit(RLIMIT_AS, &lim) == 0) {
    // RLIM_INFINITY reads as 2^64-1, as the Go client reports "unlimited".
    Add(out, "process_virtual_memory_max_bytes",
        "Maximum amount of virtual memory available in bytes.", MetricType::kGauge,
        static_cast<double>(lim.rlim_cur));
  }
}

}  // namespace quartet::metrics_internal
