// The allocation sampler: in-use bytes kept alive from a known function show
// in inuse_space within the stated sampling error, for every allocation entry
// point; freed blocks leave in-use; realloc moves the books; full tables
// drop and count instead of growing; disabled sampling records nothing.
#include "sdk/profile/heap_sampler.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>

#include <cmath>
#include <new>
#include <vector>

#include "base/clock.h"
#include "sdk/profile/heap_profile.h"
#include "sdk/profile/profile_test_util.h"
#include "sdk/profile/symbolizer.h"

namespace quartet::profile_internal {
namespace {

enum class Api {
  kMalloc,
  kCalloc,
  kNew,
  kNewArray,
  kAlignedNew,
  kPosixMemalign,
  kAlignedAlloc,
  kMemalign,
  kRealloc,
  kNothrowNew
};

inline void* Allocate(Api api, size_t size) {
  switch (api) {
    case Api::kMalloc:
      return malloc(size);
    case Api::kCalloc:
      return calloc(1, size);
    case Api::kNew:
      return ::operator new(size);
    case Api::kNewArray:
      return ::operator new[](size);
    case Api::kAlignedNew:
      return ::operator new(size, std::align_val_t(64));
    case Api::kPosixMemalign: {
      void* p = nullptr;
      return posix_memalign(&p, 64, size) == 0 ? p : nullptr;
    }
    case Api::kAlignedAlloc:
      return aligned_alloc(64, size);
    case Api::kMemalign:
      return memalign(64, size);
    case Api::kRealloc:
      return realloc(malloc(16), size);  // the 16-byte block is freed inside
    case Api::kNothrowNew:
      return ::operator new(size, std::nothrow);
  }
  return nullptr;
}

// The known function: every block is allocated here. noipa keeps the frame;
// the asm keeps the allocation from being a tail call (the frame would be
// gone from the stack by the time the allocator unwinds).
__attribute__((noipa)) void* HeapHolder(Api api, size_t size) {
  void* p = Allocate(api, size);
  asm volatile("" : : "r"(p) : "memory");
  return p;
}

void Release(Api api, void* p, size_t size) {
  switch (api) {
    case Api::kNew:
      ::operator delete(p, size);
      break;
    case Api::kNewArray:
      ::operator delete[](p);
      break;
    case Api::kAlignedNew:
      ::operator delete(p, std::align_val_t(64));
      break;
    case Api::kNothrowNew:
      ::operator delete(p, std::nothrow);
      break;
    default:
      free(p);
  }
}

// A thread notices Enable when its countdown (at most 1 MiB while sampling
// was off) runs out: allocate past that.
void WarmUp() {
  for (int i = 0; i < 300; ++i) {
    void* volatile p = malloc(8192);
    free(p);
  }
}

pprof::Profile Snapshot(Symbolizer* symbolizer) {
  return BuildHeapProfile(SnapshotHeap(), symbolizer, UnixNanos());
}

struct Case {
  const char* name;
  Api api;
  size_t size;
  size_t count;
  int64_t interval;
};

class HeapSamplerTest : public ::testing::TestWithParam<Case> {
 protected:
  void TearDown() override { DisableHeapSampling(); }
};

TEST_P(HeapSamplerTest, InUseOfKnownFunctionWithinSamplingErrorAndLeavesOnFree) {
  if (!HeapSamplingSupported()) GTEST_SKIP() << "allocator owned by a sanitizer";
  const Case& c = GetParam();
  ASSERT_TRUE(EnableHeapSampling(c.interval));
  std::vector<void*> blocks(c.count);  // allocated before: not from HeapHolder
  for (size_t i = 0; i < c.count; ++i) {
    blocks[i] = HeapHolder(c.api, c.size);
    ASSERT_NE(blocks[i], nullptr);
  }
  const double total = static_cast<double>(c.size * c.count);
  // Blocks sampled: binomial(count, p), p = 1 - exp(-size / interval). The
  // estimate's relative standard deviation is sqrt((1 - p) / (count * p));
  // the test allows 4.5 of them (a false failure once in ~150000 runs).
  const double p = 1 - std::exp(-static_cast<double>(c.size) / static_cast<double>(c.interval));
  const double tolerance = 4.5 * std::sqrt((1 - p) / (static_cast<double>(c.count) * p));

  Symbolizer symbolizer;
  pprof::Profile live = Snapshot(&symbolizer);
  EXPECT_EQ(live.period, c.interval);
  EXPECT_EQ(live.StringAt(live.period_type.type), "space");
  int64_t inuse = SumWhereStackHas(live, "HeapHolder", "inuse_space");
  int64_t alloc = SumWhereStackHas(live, "HeapHolder", "alloc_space");
  EXPECT_NEAR(inuse / total, 1.0, tolerance) << inuse << " of " << total;
  // Nothing from HeapHolder freed yet (but realloc's first 16 bytes).
  EXPECT_NEAR(static_cast<double>(alloc) / static_cast<double>(inuse), 1.0, 0.05);
  EXPECT_NEAR(SumWhereStackHas(live, "HeapHolder", "inuse_objects") / double(c.count), 1.0,
              tolerance);

  for (size_t i = 0; i < c.count; ++i) Release(c.api, blocks[i], c.size);
  pprof::Profile after = Snapshot(&symbolizer);
  EXPECT_EQ(SumWhereStackHas(after, "HeapHolder", "inuse_space"), 0);
  EXPECT_EQ(SumWhereStackHas(after, "HeapHolder", "inuse_objects"), 0);
  EXPECT_EQ(SumWhereStackHas(after, "HeapHolder", "alloc_space"), alloc);  // cumulative
}

INSTANTIATE_TEST_SUITE_P(
    Apis, HeapSamplerTest,
    ::testing::Values(Case{"malloc_16k_default", Api::kMalloc, 16384, 4096, 512 * 1024},
                      Case{"new_100b", Api::kNew, 100, 200000, 16 * 1024},
                      Case{"new_array_1m", Api::kNewArray, 1 << 20, 48, 512 * 1024},
                      Case{"calloc", Api::kCalloc, 3000, 20000, 64 * 1024},
                      Case{"aligned_new", Api::kAlignedNew, 4096, 8192, 64 * 1024},
                      Case{"posix_memalign", Api::kPosixMemalign, 4096, 8192, 64 * 1024},
                      Case{"aligned_alloc", Api::kAlignedAlloc, 4096, 8192, 64 * 1024},
                      Case{"memalign", Api::kMemalign, 4096, 8192, 64 * 1024},
                      Case{"realloc", Api::kRealloc, 8192, 8192, 64 * 1024},
                      Case{"nothrow_new", Api::kNothrowNew, 2048, 16384, 64 * 1024}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(HeapSampler, DisabledRecordsNothing) {
  if (!HeapSamplingSupported()) GTEST_SKIP();
  ASSERT_TRUE(EnableHeapSampling(1024));
  DisableHeapSampling();
  ASSERT_TRUE(EnableHeapSampling(1024));  // a new session forgets the old
  DisableHeapSampling();
  std::vector<void*> blocks;
  for (int i = 0; i < 10000; ++i) blocks.push_back(HeapHolder(Api::kMalloc, 4096));
  Symbolizer symbolizer;
  EXPECT_EQ(SumWhereStackHas(Snapshot(&symbolizer), "HeapHolder", "alloc_objects"), 0);
  EXPECT_EQ(HeapLiveSampled(), 0u);
  for (void* b : blocks) free(b);
}

TEST(HeapSampler, ReallocMovesTheBooks) {
  if (!HeapSamplingSupported()) GTEST_SKIP();
  ASSERT_TRUE(EnableHeapSampling(1));  // every allocation sampled
  WarmUp();
  void* p = HeapHolder(Api::kMalloc, 100);
  uint64_t live = HeapLiveSampled();
  EXPECT_GE(live, 1u);
  void* q = realloc(p, 1 << 20);  // moves: old block leaves, new one counted
  EXPECT_EQ(HeapLiveSampled(), live);
  free(q);
  EXPECT_EQ(HeapLiveSampled(), live - 1);
  void* r = realloc(malloc(100), 0);  // glibc frees and returns null
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(HeapLiveSampled(), live - 1);
  DisableHeapSampling();
}

TEST(HeapSampler, FullTablesDropAndCount) {
  if (!HeapSamplingSupported()) GTEST_SKIP();
  // 40000 live 64-byte blocks: more than the live table tracks; then 7000
  // distinct sizes: more buckets than the table holds. Both rounds allocate
  // from one call site, so the second round's 64-byte block has a bucket.
  std::vector<size_t> sizes(40000, 64);
  for (size_t i = 1; i <= 7000; ++i) sizes.push_back(i);
  std::vector<void*> blocks;
  blocks.reserve(sizes.size());
  ASSERT_TRUE(EnableHeapSampling(1));
  WarmUp();
  uint64_t live = 0;
  for (int round = 0; round < 2; ++round) {
    for (size_t size : sizes) blocks.push_back(HeapHolder(Api::kMalloc, size));
    if (round == 1) break;
    {
      HeapSnapshot snap = SnapshotHeap();
      EXPECT_GT(snap.dropped_buckets, 0u);
      EXPECT_GT(snap.dropped_live, 0u);
      EXPECT_LE(snap.buckets.size(), 6144u);
      EXPECT_LE(HeapLiveSampled(), 32768u);
    }
    for (void* b : blocks) free(b);
    blocks.clear();
    live = HeapLiveSampled();
    EXPECT_LT(live, 10u);  // the test's blocks all left
    // Freed slots are reused: the next round is tracked again.
    sizes.assign(1, 64);
  }
  EXPECT_EQ(HeapLiveSampled(), live + 1);
  free(blocks[0]);
  DisableHeapSampling();
}

TEST(HeapSampler, ScaleMatchesGo) {
  // Go: scale = 1 / (1 - exp(-size / rate)).
  auto [objects, bytes] = ScaleHeapSample(10, 512 * 1024, 512 * 1024);
  EXPECT_EQ(objects, static_cast<int64_t>(10 / (1 - std::exp(-1.0))));
  EXPECT_EQ(bytes, static_cast<int64_t>(10 / (1 - std::exp(-1.0)) * 512 * 1024));
  EXPECT_EQ(ScaleHeapSample(0, 100, 512).first, 0);
  EXPECT_EQ(ScaleHeapSample(3, 100, 1).second, 300);  // rate 1: every block sampled
}

}  // namespace
}  // namespace quartet::profile_internal
