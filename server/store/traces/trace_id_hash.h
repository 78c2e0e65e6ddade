// Hashing of trace ids for in-memory hash maps (never for anything on disk).
// W3C asks for random trace ids, but senders are untrusted: ids that share
// one half (a buggy or hostile client) must not pile into one bucket and make
// every lookup linear. So both halves are mixed, with a seed chosen per
// process, through a multiply-xorshift finalizer (splitmix64's).
// Pure after the seed is drawn; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>

#include "quartet/context.h"

namespace quartet::store {

namespace internal {
inline uint64_t TraceIdHashSeed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}
}  // namespace internal

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    static const uint64_t seed = internal::TraceIdHashSeed();
    uint64_t hi, lo;
    std::memcpy(&hi, id.bytes.data(), 8);
    std::memcpy(&lo, id.bytes.data() + 8, 8);
    uint64_t h = (hi ^ seed) * 0x9e3779b97f4a7c15ULL + lo;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return static_cast<size_t>(h);
  }
};

}  // namespace quartet::store
