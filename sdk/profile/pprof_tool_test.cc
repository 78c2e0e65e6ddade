// `go tool pprof` (the reference reader) reads a CPU profile written by the
// profiler for a workload with known hot functions — a static function, an
// exported one and one in a shared library — and shows each by its
// demangled name with the share of CPU it was given.
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "quartet/profile.h"
#include "sdk/profile/heap_sampler.h"

namespace hotlib {
uint64_t SpinInLibrary(uint64_t n);
extern const int kSpinFirstLine, kSpinLastLine;
}  // namespace hotlib

namespace {

// Internal linkage: named only by the executable's .symtab. noipa: gcc
// would otherwise fold the two identical spin functions into one (ICF) or
// clone this one for its constant argument.
constexpr int kSpinStaticFirst = __LINE__ + 1;
__attribute__((noipa)) uint64_t SpinStatic(uint64_t n) {
  uint64_t x = 88172645463325252ull ^ n;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}
constexpr int kSpinStaticLast = __LINE__ - 1;

}  // namespace

namespace quartet_profile_test {

constexpr int kSpinExportedFirst = __LINE__ + 1;
__attribute__((noipa)) uint64_t SpinExported(uint64_t n) {
  uint64_t x = 88172645463325252ull ^ n;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}
constexpr int kSpinExportedLast = __LINE__ - 1;

// The heap test's known allocators (noipa + the asm: no inlining, no tail
// call, so each is the leaf frame of its blocks).
__attribute__((noipa)) void KeepExported(std::vector<std::unique_ptr<char[]>>* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out->emplace_back(new char[8192]);
  asm volatile("" : : "r"(out->data()) : "memory");
}

}  // namespace quartet_profile_test

namespace {

__attribute__((noipa)) void KeepStatic(std::vector<std::unique_ptr<char[]>>* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out->emplace_back(new char[8192]);
  asm volatile("" : : "r"(out->data()) : "memory");
}

}  // namespace

namespace {

std::string FindGo() {
  for (const char* p : {"/usr/lib/go/bin/go", "/usr/bin/go", "/usr/local/go/bin/go"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return {};
}

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

// flat% by function name from `pprof -top` rows:
//   "     1.20s 50.00% 50.00%      1.20s 50.00%  name with spaces(args)"
std::map<std::string, double> ParseTop(const std::string& text) {
  std::map<std::string, double> flat;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string flat_v, flat_pct, sum_pct, cum_v, cum_pct;
    if (!(row >> flat_v >> flat_pct >> sum_pct >> cum_v >> cum_pct)) continue;
    if (flat_pct.empty() || flat_pct.back() != '%' || cum_pct.back() != '%') continue;
    std::string name;
    std::getline(row, name);
    name.erase(0, name.find_first_not_of(' '));
    char* end = nullptr;
    double pct = std::strtod(flat_pct.c_str(), &end);
    if (end != flat_pct.c_str() + flat_pct.size() - 1) continue;  // not a number
    flat[name] += pct;
  }
  return flat;
}

// One frame of `pprof -traces -lines`: "name /path/file.cc:123" (a frame
// without source info is the name alone).
struct Frame {
  std::string name;
  std::string file;
  int line = 0;
};

// The stacks (leaf first) of `pprof -traces -lines` output: blocks after a
// "-----------+---" rule, the first row starting with the sample's value.
std::vector<std::vector<Frame>> ParseTraces(const std::string& text) {
  std::vector<std::vector<Frame>> traces;
  std::istringstream in(text);
  std::string row;
  bool in_block = false, first = false;
  while (std::getline(in, row)) {
    if (row.rfind("-----------+", 0) == 0) {
      in_block = first = true;
      continue;
    }
    if (!in_block) continue;
    row.erase(0, row.find_first_not_of(' '));
    if (first) {  // drop the value
      traces.emplace_back();
      row.erase(0, row.find(' '));
      row.erase(0, row.find_first_not_of(' '));
      first = false;
    }
    if (row.empty()) continue;
    Frame f;
    f.name = row;
    size_t space = row.rfind(' '), colon = row.rfind(':');
    if (space != std::string::npos && colon != std::string::npos && colon > space &&
        row[space + 1] == '/' && colon + 1 < row.size() &&
        row.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      f.name = row.substr(0, space);
      f.file = row.substr(space + 1, colon - space - 1);
      f.line = std::atoi(row.c_str() + colon + 1);
    }
    traces.back().push_back(f);
  }
  return traces;
}

TEST(PprofTool, ShowsHotFunctionsByDemangledNameInProportion) {
  std::string go = FindGo();
  ASSERT_FALSE(go.empty()) << "go tool pprof is required: apt-get install golang-go (./setup)";

  quartet::ProfilerOptions options;
  options.service = "pprof-tool-test";
  options.cpu_hz = 200;
  std::string error;
  auto profiler = quartet::Profiler::Start(options, &error);
  ASSERT_NE(profiler, nullptr) << error;

  std::string profile;
  std::thread collector([&] { profile = profiler->CpuProfile(std::chrono::seconds(120)); });
  // Work split 2:1:1 for 1.5 s of this thread's CPU (~300 samples at 200 Hz,
  // however busy the machine is), then Stop() closes the window.
  // Units of ~40 us, far below the 4 ms scheduler tick at which the kernel
  // checks CPU timers: with long units, a loaded machine (slices aligned to
  // ticks) aliases the sample points onto some functions more than others.
  constexpr uint64_t kUnit = 20000;
  uint64_t sink = 0;
  constexpr int kCallLine = __LINE__ + 2;  // the calls' lines, in the caller's frame
  for (;;) {
    sink += SpinStatic(2 * kUnit);
    sink += quartet_profile_test::SpinExported(kUnit);
    sink += hotlib::SpinInLibrary(kUnit);
    timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    if (cpu.tv_sec * 1000 + cpu.tv_nsec / 1000000 >= 1500) break;
  }
  profiler->Stop();
  collector.join();
  ASSERT_NE(sink, 1u);
  ASSERT_FALSE(profile.empty());

  std::string path = ::testing::TempDir() + "/cpu.pb.gz";
  std::ofstream(path, std::ios::binary) << profile;
  std::string home = ::testing::TempDir();
  if (const char* keep = getenv("QUARTET_KEEP_PROFILE"))
    std::ofstream(keep, std::ios::binary) << profile;
  std::string out = RunCommand("HOME=" + home + " GOCACHE=" + home + "/gocache " + go +
                               " tool pprof -top -nodecount=200 -symbolize=none " + path + " 2>&1");
  SCOPED_TRACE(out);
  std::map<std::string, double> flat = ParseTop(out);
  auto share = [&](const std::string& name) {
    auto it = flat.find(name);
    return it == flat.end() ? -1.0 : it->second;
  };
  // pprof prints the names the profile carries: demangled, with arguments.
  const std::string kStatic = "(anonymous namespace)::SpinStatic(unsigned long)";
  const std::string kExported = "quartet_profile_test::SpinExported(unsigned long)";
  const std::string kLibrary = "hotlib::SpinInLibrary(unsigned long)";
  double s = share(kStatic), e = share(kExported), l = share(kLibrary);
  ASSERT_GT(s, 0) << kStatic;
  ASSERT_GT(e, 0) << kExported;
  ASSERT_GT(l, 0) << kLibrary;
  double total = s + e + l;
  // The three account for nearly all of the main thread's CPU; of their
  // total, 50% / 25% / 25% within 10 points (~300 samples give a standard
  // error under 3 points).
  EXPECT_NEAR(100 * s / total, 50, 10);
  EXPECT_NEAR(100 * e / total, 25, 10);
  EXPECT_NEAR(100 * l / total, 25, 10);
  EXPECT_GT(total, 60) << "the workload should dominate the profile";

  // File and line from DWARF: each hot function at a line of its own body,
  // called from the line of its call above (return address minus one).
  std::string traces = RunCommand("HOME=" + home + " GOCACHE=" + home + "/gocache " + go +
                                  " tool pprof -traces -lines -symbolize=none " + path + " 2>&1");
  SCOPED_TRACE(traces);
  struct Hot {
    std::string name, file;
    int first, last, call_line;
    int seen = 0, with_caller = 0;
  };
  Hot hot[] = {
      {kStatic, "/sdk/profile/pprof_tool_test.cc", kSpinStaticFirst, kSpinStaticLast, kCallLine},
      {kExported, "/sdk/profile/pprof_tool_test.cc", quartet_profile_test::kSpinExportedFirst,
       quartet_profile_test::kSpinExportedLast, kCallLine + 1},
      {kLibrary, "/sdk/profile/profile_test_lib.cc", hotlib::kSpinFirstLine, hotlib::kSpinLastLine,
       kCallLine + 2},
  };
  for (const std::vector<Frame>& trace : ParseTraces(traces)) {
    for (Hot& h : hot) {
      if (trace.empty() || trace[0].name != h.name) continue;
      ++h.seen;
      EXPECT_TRUE(trace[0].file.ends_with(h.file)) << trace[0].file;
      EXPECT_GE(trace[0].line, h.first) << h.name;
      EXPECT_LE(trace[0].line, h.last) << h.name;
      // Under TSan (which delivers signals from its own handler) samples
      // cannot unwind past the signal frame and keep the leaf alone.
      if (trace.size() < 2) continue;
      ++h.with_caller;
      EXPECT_NE(trace[1].name.find("_Test::TestBody()"), std::string::npos) << trace[1].name;
      EXPECT_TRUE(trace[1].file.ends_with("/sdk/profile/pprof_tool_test.cc")) << trace[1].file;
      EXPECT_EQ(trace[1].line, h.call_line) << h.name;
    }
  }
  for (const Hot& h : hot) {
    EXPECT_GT(h.seen, 0) << h.name;
#ifndef __SANITIZE_THREAD__
    EXPECT_GT(h.with_caller, 0) << h.name;
#endif
  }
}

// `go tool pprof` reads the heap profile: in-use space split 2:1 between a
// static and an exported function, by demangled name.
TEST(PprofTool, ReadsTheHeapProfileByDemangledName) {
  if (!quartet::profile_internal::HeapSamplingSupported()) GTEST_SKIP() << "sanitizer build";
  std::string go = FindGo();
  ASSERT_FALSE(go.empty()) << "go tool pprof is required: apt-get install golang-go (./setup)";
  quartet::ProfilerOptions options;
  options.heap_sample_interval = 128 * 1024;
  std::string error;
  auto profiler = quartet::Profiler::Start(options, &error);
  ASSERT_NE(profiler, nullptr) << error;
  for (int i = 0; i < 300; ++i) {  // this thread's countdown notices Enable
    void* volatile p = malloc(8192);
    free(p);
  }
  std::vector<std::unique_ptr<char[]>> kept;
  kept.reserve(6144);
  KeepStatic(&kept, 4096);                          // 32 MiB
  quartet_profile_test::KeepExported(&kept, 2048);  // 16 MiB
  std::string profile = profiler->HeapProfile();
  profiler->Stop();
  ASSERT_FALSE(profile.empty());

  std::string path = ::testing::TempDir() + "/heap.pb.gz";
  std::ofstream(path, std::ios::binary) << profile;
  std::string home = ::testing::TempDir();
  std::string out = RunCommand("HOME=" + home + " GOCACHE=" + home + "/gocache " + go +
                               " tool pprof -top -sample_index=inuse_space -nodecount=200 "
                               "-symbolize=none " +
                               path + " 2>&1");
  SCOPED_TRACE(out);
  std::map<std::string, double> flat = ParseTop(out);
  const std::string kStatic =
      "(anonymous namespace)::KeepStatic(std::vector<std::unique_ptr<char [], "
      "std::default_delete<char []> >, std::allocator<std::unique_ptr<char [], "
      "std::default_delete<char []> > > >*, unsigned long)";
  double s = 0, e = 0;
  for (const auto& [name, pct] : flat) {
    if (name.find("KeepStatic(") != std::string::npos) {
      EXPECT_EQ(name, kStatic);
      s += pct;
    }
    if (name.find("quartet_profile_test::KeepExported(std::vector<") == 0) e += pct;
  }
  ASSERT_GT(s, 0);
  ASSERT_GT(e, 0);
  // 2:1 of their total within 12 points (~370 samples: sd ~2.5 points), and
  // the two hold nearly all the sampled in-use memory.
  EXPECT_NEAR(100 * s / (s + e), 66.7, 12);
  EXPECT_GT(s + e, 80);
}

}  // namespace
