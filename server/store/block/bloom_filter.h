// BloomFilter: "is this trace id possibly in this block?" without reading the
// block's columns. Built from 64-bit hashes of the keys at a chosen
// bits-per-key (10 gives ~1% false positives); never a false negative.
// Immutable after Build/Decode: thread-safe.
//
//   std::vector<uint64_t> hashes;  for (auto& id : trace_ids) hashes.push_back(Hash64(id));
//   w.AddSection("trace_bloom", BloomFilter::Build(hashes, 10).Encode(), Codec::kNone);
//   ... if (!bloom.MayContain(Hash64(wanted))) skip the block;
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::store {

// A fast 64-bit hash of bytes, stable across runs and builds (it is stored on
// disk inside Bloom filters): never change it without a format version bump.
uint64_t Hash64(std::string_view bytes);

class BloomFilter {
 public:
  static BloomFilter Build(std::span<const uint64_t> hashes, int bits_per_key = 10);
  static Result<BloomFilter> Decode(std::string_view in);

  bool MayContain(uint64_t hash) const;
  std::string Encode() const;
  size_t bit_count() const { return bits_.size() * 8; }
  int probes() const { return probes_; }

 private:
  int probes_ = 1;
  std::string bits_;
};

}  // namespace quartet::store
