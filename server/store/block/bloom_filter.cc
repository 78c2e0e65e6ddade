#include "server/store/block/bloom_filter.h"

#include <algorithm>
#include <cstring>

namespace quartet::store {
namespace {

constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;

uint64_t Mix(uint64_t x) {  // the splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t Hash64(std::string_view bytes) {
  uint64_t h = Mix(bytes.size() * kMul + 0x51ed270b27d4f6a3ull);
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t v = 0;
    for (int k = 7; k >= 0; --k) v = v << 8 | static_cast<uint8_t>(bytes[i + k]);
    h = Mix(h ^ v) * kMul;
  }
  uint64_t tail = 0;
  for (size_t k = bytes.size(); k > i; --k) tail = tail << 8 | static_cast<uint8_t>(bytes[k - 1]);
  return Mix(h ^ tail ^ (uint64_t{bytes.size() - i} << 56));
}

BloomFilter BloomFilter::Build(std::span<const uint64_t> hashes, int bits_per_key) {
  bits_per_key = std::clamp(bits_per_key, 1, 64);
  BloomFilter f;
  // k = ln2 * bits/key minimises the false positive rate.
  f.probes_ = std::clamp(static_cast<int>(bits_per_key * 0.69), 1, 30);
  size_t bits = std::max<size_t>(64, hashes.size() * static_cast<size_t>(bits_per_key));
  f.bits_.assign((bits + 7) / 8, '\0');
  uint64_t nbits = f.bits_.size() * 8;
  for (uint64_t h : hashes) {
    // Double hashing (Kirsch-Mitzenmacher): probe i at h1 + i*h2.
    uint64_t h1 = h, h2 = (h >> 33 | h << 31) | 1;
    for (int i = 0; i < f.probes_; ++i) {
      uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % nbits;
      f.bits_[bit / 8] = static_cast<char>(f.bits_[bit / 8] | (1 << (bit % 8)));
    }
  }
  return f;
}

bool BloomFilter::MayContain(uint64_t h) const {
  uint64_t nbits = bits_.size() * 8;
  if (nbits == 0) return true;
  uint64_t h1 = h, h2 = (h >> 33 | h << 31) | 1;
  for (int i = 0; i < probes_; ++i) {
    uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % nbits;
    if ((static_cast<uint8_t>(bits_[bit / 8]) & (1 << (bit % 8))) == 0) return false;
  }
  return true;
}

std::string BloomFilter::Encode() const {
  std::string out(1, static_cast<char>(probes_));
  out.append(bits_);
  return out;
}

Result<BloomFilter> BloomFilter::Decode(std::string_view in) {
  if (in.size() < 2) return Status::DataLoss("bloom filter: too short");
  int probes = static_cast<uint8_t>(in[0]);
  if (probes < 1 || probes > 30) return Status::DataLoss("bloom filter: bad probe count");
  BloomFilter f;
  f.probes_ = probes;
  f.bits_ = std::string(in.substr(1));
  return f;
}

}  // namespace quartet::store
