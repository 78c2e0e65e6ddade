// Merging an hour of 10 s CPU profiles of one service (360 profiles, ~1000
// samples and a few hundred distinct stacks each, span_id labels, some
// inlined frames, each profile with its own string table and ids as the store
// returns them) into a flame graph, top functions and a span profile.
// Issue 6's target: the flame graph in p50 <= 200 ms. BM_Merge* measure
// StackMerger::Add on decoded pprofs (the path of stores without batches).
//
// BM_QueryHour* run the real query path (the figure for the target): the same profiles appended to
// a ProfileTable (two hours, compacted into one 2-hour block, or left in the live head), then
// MergeSelection over the middle hour + timeline + flame graph JSON; Arg 1 reads the table through
// SelectProfiles only (one materialized pprof per profile, the path before batches), Arg 0 through
// SelectProfileBatches (merged by stack ids).
//
//   build-profiles/bin/profiles_merge_benchmark --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "server/query/profiles/flame_tree.h"
#include "server/query/profiles/flamebearer.h"
#include "server/query/profiles/function_stats.h"
#include "server/query/profiles/profile_query.h"
#include "server/query/profiles/select_only_store.h"
#include "server/query/profiles/stack_merger.h"
#include "server/store/profiles/profile_table.h"
#include "wire/pprof/builder.h"

namespace quartet::profiles {
namespace {

constexpr int kProfiles = 360;
constexpr int kSamplesPerProfile = 1000;
constexpr int kDistinctStacks = 400;
constexpr int kFunctions = 1500;

struct Workload {
  std::vector<pprof::Profile> profiles;
};

// C++-looking names of realistic length.
std::string FunctionName(int i) {
  static const char* kNs[] = {"checkout::", "sqlite3::", "std::", "quartet::sdk::", "http::"};
  return std::string(kNs[i % 5]) + "Component" + std::to_string(i / 7) + "::Method" +
         std::to_string(i) + "(std::basic_string_view<char>, int)";
}

const Workload& GetWorkload() {
  static const Workload* w = [] {
    auto* w = new Workload;
    std::mt19937_64 rng(7);
    // Distinct stacks share prefixes like real call trees: each extends a
    // random earlier stack's prefix.
    std::vector<std::vector<int>> stacks;
    for (int s = 0; s < kDistinctStacks; ++s) {
      std::vector<int> st;
      if (!stacks.empty()) {
        const auto& base = stacks[rng() % stacks.size()];
        st.assign(base.begin(), base.begin() + static_cast<long>(rng() % (base.size() + 1)));
      }
      size_t depth = 12 + rng() % 28;
      // Callees are drawn skewed towards a hot core of the code base (the
      // event loop, the handlers, the database), as real stacks are: a
      // profile then references ~800 distinct functions.
      while (st.size() < depth) {
        double u = std::uniform_real_distribution<double>(0, 1)(rng);
        st.push_back(static_cast<int>(kFunctions * u * u));
      }
      stacks.push_back(std::move(st));
    }
    std::vector<std::string> names;
    for (int i = 0; i < kFunctions; ++i) names.push_back(FunctionName(i));
    std::vector<std::string> spans;
    for (int i = 0; i < 64; ++i) {
      char buf[17];
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
      spans.push_back(buf);
    }
    for (int p = 0; p < kProfiles; ++p) {
      pprof::ProfileBuilder b;
      b.AddSampleType("cpu", "nanoseconds");
      b.SetPeriod("cpu", "nanoseconds", 10'000'000);
      uint64_t mapping = b.Mapping(0x400000, 0x900000, 0, "/usr/bin/checkout", "abc", true);
      std::vector<uint64_t> ids;
      for (int i = 0; i < kSamplesPerProfile; ++i) {
        // Zipf-ish: low stack indexes are hot.
        double u = std::uniform_real_distribution<double>(0, 1)(rng);
        size_t s = static_cast<size_t>(kDistinctStacks * u * u * u);
        const auto& st = stacks[s];
        ids.clear();
        for (size_t f = st.size(); f-- > 0;) {
          uint64_t fn = b.Function(names[st[f]], names[st[f]], "/src/app.cc");
          ids.push_back(b.LocationForAddress(0x400000 + 16 * st[f], mapping, fn, 10 + f));
        }
        int64_t value[] = {10'000'000 * static_cast<int64_t>(1 + rng() % 3)};
        pprof::LabelSpec label{"span_id", spans[rng() % spans.size()]};
        b.AddSample(ids, value, std::span<const pprof::LabelSpec>(&label, 1));
      }
      // Every 10th function's address has another function inlined into it
      // (the same one in every profile, as in one binary).
      std::vector<std::pair<uint64_t, uint64_t>> inlined;  // address, inlined function id
      for (int f = 0; f < kFunctions; f += 10) {
        const std::string& name = names[(f * 7 + 1) % kFunctions];
        inlined.push_back({0x400000 + 16 * f, b.Function(name, name, "/src/inline.h")});
      }
      pprof::Profile prof = b.Release();
      for (pprof::Location& loc : prof.location) {
        for (const auto& [address, fn] : inlined) {
          if (loc.address == address) loc.line.insert(loc.line.begin(), pprof::Line{fn, 1, 0});
        }
      }
      w->profiles.push_back(std::move(prof));
    }
    return w;
  }();
  return *w;
}

void BM_MergeHourToFlamegraph(benchmark::State& state) {
  const Workload& w = GetWorkload();
  size_t bytes = 0;
  for (auto _ : state) {
    StackMerger m;
    for (const pprof::Profile& p : w.profiles) m.Add(p);
    Flamebearer fb = ToFlamebearer(FlameTree::Build(m.stacks()), 8192);
    std::string json;
    AppendFlamebearerJson(&json, fb);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["profiles"] = kProfiles;
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_MergeHourToFlamegraph)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MergeOnly(benchmark::State& state) {
  const Workload& w = GetWorkload();
  size_t distinct = 0;
  for (auto _ : state) {
    StackMerger m;
    for (const pprof::Profile& p : w.profiles) m.Add(p);
    distinct = m.stacks().stacks.size();
  }
  state.counters["distinct_stacks"] = static_cast<double>(distinct);
  size_t functions = 0, samples = 0;
  for (const pprof::Profile& p : w.profiles) {
    functions += p.function.size();
    samples += p.sample.size();
  }
  state.counters["functions_per_profile"] = static_cast<double>(functions) / kProfiles;
  state.counters["samples_per_profile"] = static_cast<double>(samples) / kProfiles;
}
BENCHMARK(BM_MergeOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MergeHourTopFunctions(benchmark::State& state) {
  const Workload& w = GetWorkload();
  for (auto _ : state) {
    StackMerger m;
    for (const pprof::Profile& p : w.profiles) m.Add(p);
    benchmark::DoNotOptimize(TopFunctions(m.stacks(), TopOrder::kSelf, 100));
  }
}
BENCHMARK(BM_MergeHourTopFunctions)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MergeHourSpanProfile(benchmark::State& state) {
  const Workload& w = GetWorkload();
  std::string span = std::string(w.profiles[0].StringAt(w.profiles[0].sample[0].label[0].str));
  for (auto _ : state) {
    StackMerger m(SampleFilter{"span_id", {span}});
    for (const pprof::Profile& p : w.profiles) m.Add(p);
    benchmark::DoNotOptimize(ToFlamebearer(FlameTree::Build(m.stacks()), 8192));
  }
}
BENCHMARK(BM_MergeHourSpanProfile)->Unit(benchmark::kMillisecond)->UseRealTime();

constexpr int64_t kSecond = 1'000'000'000;

// Two hours of the workload's profiles (each used twice) in a table: one
// compacted 2-hour block, or (head) all in the live head.
struct StoredWorkload {
  explicit StoredWorkload(bool head) {
    dir = std::filesystem::temp_directory_path() /
          ("merge_bench_" + std::to_string(std::random_device{}()));
    store::TableOptions o;
    o.dir = dir.string();
    o.sync = store::SyncPolicy::kNever;
    table = std::move(*store::ProfileTable::Open(o, /*background=*/false));
    t0 = (UnixNanos() / kSecond - 6 * 3600) / 7200 * 7200 * kSecond;
    const store::Labels series = {
        {"__name__", "process_cpu"}, {"service_name", "checkout"}, {"service_version", "1.4.2"}};
    const Workload& w = GetWorkload();
    for (int i = 0; i < 2 * kProfiles; ++i) {
      const int64_t from = t0 + int64_t{i} * 10 * kSecond;
      (void)table->AppendProfile(series, from, from + 10 * kSecond, w.profiles[i % kProfiles]);
      if (!head && (i + 1) % 90 == 0) (void)table->Flush();
    }
    if (!head) (void)table->Compact(/*all=*/true);
  }
  ~StoredWorkload() {
    table.reset();
    std::filesystem::remove_all(dir);
  }
  Selection Hour() const {
    Selection sel;
    sel.type = *ParseProfileType("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
    sel.matchers = {{"service_name", store::LabelMatch::Op::kEq, "checkout"}};
    sel.range = {t0 + 1800 * kSecond, t0 + 5400 * kSecond};
    return sel;
  }

  std::filesystem::path dir;
  std::unique_ptr<store::ProfileTable> table;
  int64_t t0 = 0;
};

void RunQueryHour(benchmark::State& state, bool head) {
  StoredWorkload stored(head);
  SelectOnlyStore select_only(stored.table.get());
  store::ProfileStore* store =
      state.range(0) == 1 ? static_cast<store::ProfileStore*>(&select_only) : stored.table.get();
  const Selection sel = stored.Hour();
  int64_t profiles = 0, total = 0;
  for (auto _ : state) {
    Timeline timeline = Timeline::Make(sel.range.start_ns, sel.range.end_ns, 0);
    Result<MergeResult> r = MergeSelection(store, sel, &timeline);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    Flamebearer fb = ToFlamebearer(FlameTree::Build(r->stacks), 8192);
    std::string json;
    AppendFlamebearerJson(&json, fb);
    AppendTimelineJson(&json, timeline);
    benchmark::DoNotOptimize(json);
    profiles = r->profiles;
    total = r->stacks.total;
  }
  size_t batch_stacks = 0, batches = 0;
  (void)stored.table->SelectProfileBatches(sel.type.Id(), sel.matchers, sel.range,
                                           [&](const store::ProfileBatch& b) {
                                             batch_stacks += b.stack_count();
                                             ++batches;
                                             return true;
                                           });
  state.counters["batches"] = static_cast<double>(batches);
  state.counters["batch_stacks"] = static_cast<double>(batch_stacks);
  state.counters["profiles"] = static_cast<double>(profiles);
  state.counters["total_s"] = static_cast<double>(total) / 1e9;
}

void BM_QueryHourFromBlock(benchmark::State& state) { RunQueryHour(state, /*head=*/false); }
BENCHMARK(BM_QueryHourFromBlock)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("select_only")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_QueryHourFromHead(benchmark::State& state) { RunQueryHour(state, /*head=*/true); }
BENCHMARK(BM_QueryHourFromHead)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("select_only")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace quartet::profiles

BENCHMARK_MAIN();
