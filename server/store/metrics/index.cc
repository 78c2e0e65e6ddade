#include "server/store/metrics/index.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>

namespace quartet::store {

// ---- SymbolTable ------------------------------------------------------------------

uint32_t SymbolTable::Intern(std::string_view s) {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  const std::string& stored = strings_.emplace_back(s);
  ids_.emplace(stored, id);
  views_.push_back(stored);
  bytes_ += sizeof(std::string) + sizeof(std::string_view) +
            (stored.size() > 15 ? stored.capacity() + 1 : 0) + 48;
  return id;
}

std::optional<uint32_t> SymbolTable::Find(std::string_view s) const {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  return std::nullopt;
}

// ---- hashing and sets -----------------------------------------------------------------

namespace {

// A multiply-xorshift hash over 8-byte words: std::hash (murmur over
// bytes, called twice per label) was ~4% of remote_write's CPU, and every
// sample of a request hashes its series' labels once. Lengths are mixed in,
// so that moving bytes between a name and a value changes the hash.
constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;

inline uint64_t Mix(uint64_t h, uint64_t v) {
  h = (h ^ v) * kMul;
  return h ^ (h >> 32);
}

inline uint64_t HashBytes(uint64_t h, std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    h = Mix(h, w);
  }
  // The last 1-7 bytes read into a register (two overlapping 4-byte loads,
  // or three single bytes): copied byte by byte into a stack word, the
  // word's load stalled on the stores it could not be forwarded from.
  uint64_t tail = 0;
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, sizeof(lo));
    std::memcpy(&hi, p + n - 4, sizeof(hi));
    tail = lo | (static_cast<uint64_t>(hi) << 32);
  } else if (n > 0) {
    const auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(p[i])); };
    tail = byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
  }
  return Mix(h, tail ^ (static_cast<uint64_t>(s.size()) << 56));
}

uint64_t Seed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ kMul;
  }();
  return seed;
}

template <typename L>
uint64_t HashLabelList(const L& labels) {
  uint64_t h = Seed();
  for (const auto& [name, value] : labels) {
    h = HashBytes(h, name);
    h = HashBytes(h, value);
  }
  // Final avalanche: the low bits pick the slot.
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

}  // namespace

uint64_t HashLabels(const Labels& labels) { return HashLabelList(labels); }
uint64_t HashLabels(std::span<const LabelRef> labels) { return HashLabelList(labels); }

std::vector<uint32_t> IntersectSorted(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  std::vector<uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint32_t> SubtractSorted(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  std::vector<uint32_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// ---- SeriesIndex ------------------------------------------------------------------------

namespace {

// a == b for the short strings labels are, without a call to memcmp per
// string (4% of remote_write's CPU): whole words, the last one overlapping,
// or 4-byte loads for 4-7 bytes; memcmp for long strings.
inline bool SameBytes(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8 && n <= 32) {
    uint64_t u, v;
    for (size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&u, x + i, 8);
      std::memcpy(&v, y + i, 8);
      if (u != v) return false;
    }
    std::memcpy(&u, x + n - 8, 8);
    std::memcpy(&v, y + n - 8, 8);
    return u == v;
  }
  if (n >= 4 && n < 8) {
    uint32_t u0, v0, u1, v1;
    std::memcpy(&u0, x, 4);
    std::memcpy(&v0, y, 4);
    std::memcpy(&u1, x + n - 4, 4);
    std::memcpy(&v1, y + n - 4, 4);
    return u0 == v0 && u1 == v1;
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) {
      if (x[i] != y[i]) return false;
    }
    return true;
  }
  return std::memcmp(x, y, n) == 0;
}

}  // namespace

template <typename L>
bool SeriesIndex::Equal(uint32_t id, const L& labels) const {
  const uint32_t begin = offsets_[id], end = offsets_[id + 1];
  if (end - begin != 2 * labels.size()) return false;
  size_t i = begin;
  for (const auto& [name, value] : labels) {
    if (!SameBytes(symbols_.Get(label_syms_[i]), name) ||
        !SameBytes(symbols_.Get(label_syms_[i + 1]), value)) {
      return false;
    }
    i += 2;
  }
  return true;
}

template <typename L>
std::optional<uint32_t> SeriesIndex::FindHashed(uint64_t h, const L& labels) const {
  if (slots_.empty()) return std::nullopt;
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
    const uint32_t slot = slots_[i];
    if (slot == 0) return std::nullopt;
    if (hashes_[slot - 1] == h && Equal(slot - 1, labels)) return slot - 1;
  }
}

void SeriesIndex::InsertSlot(uint64_t h, uint32_t id) {
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>(h) & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = id + 1;
}

std::optional<uint32_t> SeriesIndex::Find(const Labels& labels) const {
  return FindHashed(HashLabels(labels), labels);
}

std::optional<uint32_t> SeriesIndex::FindRefs(std::span<const LabelRef> labels) const {
  return FindHashed(HashLabels(labels), labels);
}

std::optional<uint32_t> SeriesIndex::FindRefs(std::span<const LabelRef> labels,
                                              uint64_t hash) const {
  return FindHashed(hash, labels);
}

void SeriesIndex::PrefetchSlot(uint64_t hash) const {
  if (slots_.empty()) return;
  __builtin_prefetch(&slots_[static_cast<size_t>(hash) & (slots_.size() - 1)]);
}

void SeriesIndex::PrefetchEntry(uint64_t hash) const {
  if (slots_.empty()) return;
  const uint32_t slot = slots_[static_cast<size_t>(hash) & (slots_.size() - 1)];
  if (slot == 0) return;
  __builtin_prefetch(&hashes_[slot - 1]);
  __builtin_prefetch(&label_syms_[offsets_[slot - 1]]);
}

uint32_t SeriesIndex::GetOrAdd(const Labels& labels, bool* created) {
  const uint64_t h = HashLabels(labels);
  if (std::optional<uint32_t> id = FindHashed(h, labels)) {
    *created = false;
    return *id;
  }
  const uint32_t id = static_cast<uint32_t>(size());
  for (const auto& [name, value] : labels) {
    const uint32_t n = symbols_.Intern(name);
    const uint32_t v = symbols_.Intern(value);
    label_syms_.push_back(n);
    label_syms_.push_back(v);
    names_[n].postings[v].push_back(id);  // ids only grow: postings stay sorted
    ++postings_entries_;
  }
  offsets_.push_back(static_cast<uint32_t>(label_syms_.size()));
  hashes_.push_back(h);
  if (2 * hashes_.size() > slots_.size()) {
    // Rehash from the stored hashes: no label set is hashed again.
    slots_.assign(std::max<size_t>(64, 2 * slots_.size()), 0);
    for (uint32_t i = 0; i < hashes_.size(); ++i) InsertSlot(hashes_[i], i);
  } else {
    InsertSlot(h, id);
  }
  *created = true;
  return id;
}

Labels SeriesIndex::LabelsOf(uint32_t id) const {
  Labels out;
  out.reserve((offsets_[id + 1] - offsets_[id]) / 2);
  for (uint32_t i = offsets_[id]; i < offsets_[id + 1]; i += 2) {
    out.emplace_back(symbols_.Get(label_syms_[i]), symbols_.Get(label_syms_[i + 1]));
  }
  return out;
}

void SeriesIndex::ForEachLabel(
    uint32_t id, const std::function<void(std::string_view, std::string_view)>& fn) const {
  for (uint32_t i = offsets_[id]; i < offsets_[id + 1]; i += 2) {
    fn(symbols_.Get(label_syms_[i]), symbols_.Get(label_syms_[i + 1]));
  }
}

std::string_view SeriesIndex::ValueOf(uint32_t id, std::string_view name) const {
  for (uint32_t i = offsets_[id]; i < offsets_[id + 1]; i += 2) {
    if (symbols_.Get(label_syms_[i]) == name) return symbols_.Get(label_syms_[i + 1]);
  }
  return {};
}

std::span<const uint32_t> SeriesIndex::Postings(std::string_view name,
                                                std::string_view value) const {
  std::optional<uint32_t> n = symbols_.Find(name), v = symbols_.Find(value);
  if (!n || !v) return {};
  auto it = names_.find(*n);
  if (it == names_.end()) return {};
  auto p = it->second.postings.find(*v);
  if (p == it->second.postings.end()) return {};
  return p->second;
}

void SeriesIndex::ForEachValue(
    std::string_view name,
    const std::function<void(std::string_view, std::span<const uint32_t>)>& fn) const {
  std::optional<uint32_t> n = symbols_.Find(name);
  if (!n) return;
  auto it = names_.find(*n);
  if (it == names_.end()) return;
  for (const auto& [value, ids] : it->second.postings) fn(symbols_.Get(value), ids);
}

std::vector<uint32_t> SeriesIndex::AllIds() const {
  std::vector<uint32_t> out(size());
  for (uint32_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

std::vector<uint32_t> SeriesIndex::UnionOf(
    uint32_t name, const std::function<bool(std::string_view)>& keep) const {
  std::vector<uint32_t> out;
  auto it = names_.find(name);
  if (it == names_.end()) return out;
  for (const auto& [value, ids] : it->second.postings) {
    if (keep(symbols_.Get(value))) out.insert(out.end(), ids.begin(), ids.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<uint32_t>> SeriesIndex::Select(const std::vector<LabelMatch>& matchers) const {
  using Op = LabelMatch::Op;
  // Each matcher becomes either "ids in set S" or "ids not in set S"; the
  // positive ones intersect first so that the negative ones subtract from a
  // small set.
  std::vector<std::vector<uint32_t>> include, exclude;
  for (const LabelMatch& m : matchers) {
    std::unique_ptr<re2::RE2> re;
    if (m.op == Op::kRe || m.op == Op::kNre) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_dot_nl(true);
      re = std::make_unique<re2::RE2>(m.value, options);
      if (!re->ok()) {
        return Status::InvalidArgument("invalid regex for label " + m.name + ": " + re->error());
      }
    }
    auto matches = [&](std::string_view v) {
      switch (m.op) {
        case Op::kEq:
          return v == m.value;
        case Op::kNeq:
          return v != m.value;
        case Op::kRe:
          return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re);
        case Op::kNre:
          return !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re);
      }
      return false;
    };
    // Series without the label carry "" for it.
    const bool empty_matches = matches("");
    std::optional<uint32_t> name = symbols_.Find(m.name);
    if (!name) {  // no series has the label: all match or none
      if (!empty_matches) return std::vector<uint32_t>{};
      continue;
    }
    if (m.op == Op::kEq && !empty_matches) {
      std::span<const uint32_t> p = Postings(m.name, m.value);
      include.emplace_back(p.begin(), p.end());
    } else if (empty_matches) {
      // Every series except those whose value of the label does not match.
      exclude.push_back(UnionOf(*name, [&](std::string_view v) { return !matches(v); }));
    } else {
      include.push_back(UnionOf(*name, matches));
    }
  }
  std::vector<uint32_t> ids;
  if (include.empty()) {
    ids = AllIds();
  } else {
    std::sort(include.begin(), include.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    ids = std::move(include[0]);
    for (size_t i = 1; i < include.size() && !ids.empty(); ++i)
      ids = IntersectSorted(ids, include[i]);
  }
  for (const auto& ex : exclude) {
    if (ids.empty()) break;
    ids = SubtractSorted(ids, ex);
  }
  return ids;
}

size_t SeriesIndex::MemoryBytes() const {
  return symbols_.MemoryBytes() + label_syms_.capacity() * 4 + offsets_.capacity() * 4 +
         hashes_.capacity() * 8 + slots_.capacity() * 4 + postings_entries_ * 6 +
         names_.size() * 64;
}

}  // namespace quartet::store
