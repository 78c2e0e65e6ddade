// quartet::Profiler's heap and thread profiles end to end: uploads named
// <service>.memory and <service>.threads decode with wire/pprof, carry Go's
// heap sample types with alloc_* as deltas between uploads and in-use
// absolute, and name the known functions; HeapProfile()/ThreadProfile()
// serve the same; root spans record pyroscope.profile.id while it runs.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "quartet/profile.h"
#include "quartet/trace.h"
#include "sdk/profile/heap_sampler.h"
#include "sdk/profile/profile_test_util.h"
#include "sdk/profile/test_receiver.h"
#include "sdk/trace/test_util.h"
#include "wire/pprof/profile.h"

namespace quartet {
namespace {

using profile_internal::Captured;
using profile_internal::SumWhereStackHas;
using profile_internal::TestReceiver;

constexpr size_t kBlock = 8192;
constexpr size_t kBlocks = 4096;  // 32 MiB

__attribute__((noipa)) void KeepAliveForUpload(std::vector<std::unique_ptr<char[]>>* out) {
  for (size_t i = 0; i < kBlocks; ++i) out->emplace_back(new char[kBlock]);
  asm volatile("" : : "r"(out->data()) : "memory");
}

struct Park {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int parked = 0;
};

__attribute__((noipa)) void ParkForUpload(Park* park) {
  std::unique_lock<std::mutex> lock(park->mu);
  ++park->parked;
  park->cv.notify_all();
  park->cv.wait(lock, [park] { return park->open; });
}

void Warm() {  // let this thread's countdown notice Enable (heap_sampler.h)
  for (int i = 0; i < 300; ++i) {
    void* volatile p = malloc(8192);
    free(p);
  }
}

TEST(ProfilerHeap, UploadsMemoryAndThreadsProfiles) {
  if (!profile_internal::HeapSamplingSupported()) GTEST_SKIP() << "allocator owned by a sanitizer";
  TestReceiver receiver;
  ProfilerOptions o;
  o.service = "cart";
  o.environment = "test";
  o.server_address = receiver.address();
  o.upload_interval = std::chrono::milliseconds(300);
  o.heap_sample_interval = 64 * 1024;
  std::string error;
  auto profiler = Profiler::Start(o, &error);
  ASSERT_NE(profiler, nullptr) << error;

  Park park;
  std::vector<std::thread> parked;
  for (int i = 0; i < 3; ++i) parked.emplace_back(ParkForUpload, &park);
  {
    std::unique_lock<std::mutex> lock(park.mu);
    park.cv.wait(lock, [&park] { return park.parked == 3; });
  }
  Warm();
  std::vector<std::unique_ptr<char[]>> kept;
  kept.reserve(kBlocks);
  KeepAliveForUpload(&kept);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // two uploads or more
  profiler->Stop();
  {
    std::lock_guard<std::mutex> lock(park.mu);
    park.open = true;
  }
  park.cv.notify_all();
  for (auto& t : parked) t.join();

  // Sampling error at 64 KiB for 4096 blocks of 8 KiB: relative sd
  // sqrt((1-p)/(n p)) = 5.9%; the test allows 4.5 sd.
  const double total = static_cast<double>(kBlock * kBlocks), tolerance = 0.27;
  int memory = 0, threads = 0;
  int64_t alloc_sum = 0, last_inuse = 0;
  for (const Captured& c : receiver.captured()) {
    auto p = pprof::DecodeMaybeGzip(c.body);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    if (c.name == "cart.memory{env=test,service_name=cart}") {
      ++memory;
      ASSERT_EQ(p->sample_type.size(), 4u);
      const char* types[] = {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"};
      const char* units[] = {"count", "bytes", "count", "bytes"};
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(p->StringAt(p->sample_type[i].type), types[i]);
        EXPECT_EQ(p->StringAt(p->sample_type[i].unit), units[i]);
      }
      EXPECT_EQ(p->period, 64 * 1024);
      alloc_sum += SumWhereStackHas(*p, "KeepAliveForUpload", "alloc_space");
      last_inuse = SumWhereStackHas(*p, "KeepAliveForUpload", "inuse_space");
    } else if (c.name == "cart.threads{env=test,service_name=cart}") {
      ++threads;
      EXPECT_EQ(p->StringAt(p->sample_type[0].type), "threads");
      EXPECT_EQ(SumWhereStackHas(*p, "ParkForUpload", "threads"), 3) << c.until;
    } else {
      EXPECT_EQ(c.name, "cart.cpu{env=test,service_name=cart}");
    }
  }
  EXPECT_GE(memory, 2);
  EXPECT_GE(threads, 2);
  // alloc_* are deltas: summed over uploads they count the blocks once.
  EXPECT_NEAR(alloc_sum / total, 1.0, tolerance) << alloc_sum;
  // in-use is absolute: the last upload still holds every block.
  EXPECT_NEAR(last_inuse / total, 1.0, tolerance) << last_inuse;
}

TEST(ProfilerHeap, HeapAndThreadProfilesOnDemand) {
  if (!profile_internal::HeapSamplingSupported()) GTEST_SKIP() << "allocator owned by a sanitizer";
  ProfilerOptions o;
  o.heap_sample_interval = 64 * 1024;
  std::string error;
  auto profiler = Profiler::Start(o, &error);
  ASSERT_NE(profiler, nullptr) << error;
  Warm();
  std::vector<std::unique_ptr<char[]>> kept;
  kept.reserve(kBlocks);
  KeepAliveForUpload(&kept);

  auto heap = pprof::DecodeMaybeGzip(profiler->HeapProfile());
  ASSERT_TRUE(heap.ok()) << heap.status().ToString();
  const double total = static_cast<double>(kBlock * kBlocks);
  EXPECT_NEAR(SumWhereStackHas(*heap, "KeepAliveForUpload", "inuse_space") / total, 1.0, 0.27);
  kept.clear();
  heap = pprof::DecodeMaybeGzip(profiler->HeapProfile());
  ASSERT_TRUE(heap.ok());
  EXPECT_EQ(SumWhereStackHas(*heap, "KeepAliveForUpload", "inuse_space"), 0);
  EXPECT_GT(SumWhereStackHas(*heap, "KeepAliveForUpload", "alloc_space"), 0);
  ProfilerStats st = profiler->stats();
  EXPECT_TRUE(st.heap_sampling);

  auto threads = pprof::DecodeMaybeGzip(profiler->ThreadProfile());
  ASSERT_TRUE(threads.ok()) << threads.status().ToString();
  EXPECT_EQ(SumWhereStackHas(*threads, "HeapAndThreadProfilesOnDemand", "threads"), 1);

  profiler->Stop();
  EXPECT_TRUE(profiler->HeapProfile().empty());
  EXPECT_TRUE(profiler->ThreadProfile().empty());
  EXPECT_FALSE(profile_internal::HeapSamplingEnabled());
}

TEST(ProfilerHeap, RootSpansNameTheirProfileWhileProfiling) {
  trace_internal::TestProvider traces;
  std::string error;
  auto profiler = Profiler::Start(ProfilerOptions{}, &error);
  ASSERT_NE(profiler, nullptr) << error;
  std::string root_id;
  {
    Span root = traces.tracer().StartSpan("GET /cart");
    root_id = root.context().span_id.ToHex();
    Scope scope(root);
    Span child = traces.tracer().StartSpan("load");
  }
  profiler->Stop();
  { Span after = traces.tracer().StartSpan("after-stop"); }

  std::vector<trace_internal::SpanRecord> spans = traces.Flush();
  ASSERT_EQ(spans.size(), 3u);
  for (const auto& s : spans) {
    const auto* id = trace_internal::FindAttr(s.attributes, "pyroscope.profile.id");
    if (s.name == "GET /cart") {
      ASSERT_NE(id, nullptr);
      ASSERT_TRUE(std::holds_alternative<std::string>(*id));
      EXPECT_EQ(std::get<std::string>(*id), root_id);
    } else {
      EXPECT_EQ(id, nullptr) << s.name;  // a child, or started after Stop
    }
  }
}

}  // namespace
}  // namespace quartet
