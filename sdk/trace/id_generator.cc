#include "sdk/trace/id_generator.h"

#include <sys/random.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

namespace quartet::trace_internal {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct Xoshiro256 {
  uint64_t s[4];

  Xoshiro256() {
    uint64_t seed = 0;
    // getrandom never blocks after boot-time init; fall back to time and the
    // thread id so a failure still gives distinct streams per thread.
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(seed))) {
      seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             (std::hash<std::thread::id>()(std::this_thread::get_id()) << 1);
    }
    for (auto& word : s) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s[0] + s[3], 23) + s[0];
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = Rotl(s[3], 45);
    return result;
  }

  uint64_t NextNonZero() {
    uint64_t v;
    do {
      v = Next();
    } while (v == 0);
    return v;
  }
};

Xoshiro256& Rng() {
  thread_local Xoshiro256 rng;
  return rng;
}

}  // namespace

TraceId NewTraceId() noexcept {
  TraceId id;
  Xoshiro256& rng = Rng();
  const uint64_t hi = rng.Next();
  const uint64_t lo = rng.NextNonZero();
  std::memcpy(id.bytes.data(), &hi, 8);
  std::memcpy(id.bytes.data() + 8, &lo, 8);
  return id;
}

SpanId NewSpanId() noexcept {
  SpanId id;
  const uint64_t v = Rng().NextNonZero();
  std::memcpy(id.bytes.data(), &v, 8);
  return id;
}

}  // namespace quartet::trace_internal
