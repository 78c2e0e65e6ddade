#include "server/store/block/column.h"

#include <bit>

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

enum IntMode : uint8_t { kDelta = 1, kDeltaOfDelta = 2 };

size_t VarintLen(uint64_t v) { return v == 0 ? 1 : (std::bit_width(v) + 6) / 7; }

Status Bad(std::string_view what) { return Status::DataLoss(std::string(what)); }

// Wrapping arithmetic: deltas of extreme values overflow int64, and the
// decoder undoes them with the same wrap, so every sequence round-trips.
int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Reads a count and checks it could possibly fit in the remaining bytes at
// min_bytes_each, so a forged count cannot make us allocate gigabytes.
bool GetCount(std::string_view* in, double min_bytes_each, uint64_t* n) {
  if (!GetVarint64(in, n)) return false;
  return static_cast<double>(*n) * min_bytes_each <= static_cast<double>(in->size());
}

}  // namespace

std::string EncodeInt64s(std::span<const int64_t> values) {
  std::string out;
  PutVarint64(&out, values.size());
  if (values.empty()) return out;
  // Pick the cheaper of the two deltas by measuring both.
  size_t delta_cost = 0, dod_cost = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    int64_t d = WrapSub(values[i], values[i - 1]);
    delta_cost += VarintLen(ZigZagEncode(d));
    int64_t prev_d = i >= 2 ? WrapSub(values[i - 1], values[i - 2]) : 0;
    dod_cost += VarintLen(ZigZagEncode(i >= 2 ? WrapSub(d, prev_d) : d));
  }
  IntMode mode = dod_cost < delta_cost ? kDeltaOfDelta : kDelta;
  out.push_back(static_cast<char>(mode));
  out.reserve(out.size() + 10 + std::min(delta_cost, dod_cost));
  PutVarint64(&out, ZigZagEncode(values[0]));
  int64_t prev_d = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    int64_t d = WrapSub(values[i], values[i - 1]);
    PutVarint64(&out, ZigZagEncode(mode == kDelta ? d : WrapSub(d, prev_d)));
    prev_d = d;
  }
  return out;
}

Result<std::vector<int64_t>> DecodeInt64s(std::string_view in) {
  uint64_t n;
  if (!GetCount(&in, 1, &n)) return Bad("int64 column: bad count");
  std::vector<int64_t> out;
  if (n == 0) {
    if (!in.empty()) return Bad("int64 column: trailing bytes");
    return out;
  }
  if (in.empty()) return Bad("int64 column: missing mode");
  uint8_t mode = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (mode != kDelta && mode != kDeltaOfDelta) return Bad("int64 column: unknown mode");
  out.reserve(n);
  uint64_t z;
  if (!GetVarint64(&in, &z)) return Bad("int64 column: truncated");
  out.push_back(ZigZagDecode(z));
  int64_t prev_d = 0;
  for (uint64_t i = 1; i < n; ++i) {
    if (!GetVarint64(&in, &z)) return Bad("int64 column: truncated");
    int64_t v = ZigZagDecode(z);
    int64_t d = mode == kDelta ? v : WrapAdd(prev_d, v);
    out.push_back(WrapAdd(out.back(), d));
    prev_d = d;
  }
  if (!in.empty()) return Bad("int64 column: trailing bytes");
  return out;
}

std::string EncodeUint32s(std::span<const uint32_t> values) {
  uint32_t max = 0;
  for (uint32_t v : values) max |= v;
  int width = std::bit_width(max);
  std::string out;
  PutVarint64(&out, values.size());
  out.push_back(static_cast<char>(width));
  size_t bytes = (values.size() * static_cast<size_t>(width) + 7) / 8;
  size_t base = out.size();
  out.resize(base + bytes, '\0');
  uint64_t acc = 0;
  int bits = 0;
  size_t pos = base;
  for (uint32_t v : values) {
    acc |= uint64_t{v} << bits;
    bits += width;
    while (bits >= 8) {
      out[pos++] = static_cast<char>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[pos++] = static_cast<char>(acc);
  return out;
}

Result<std::vector<uint32_t>> DecodeUint32s(std::string_view in, uint64_t max_values) {
  uint64_t n;
  if (!GetVarint64(&in, &n)) return Bad("uint32 column: bad count");
  if (n > max_values) return Bad("uint32 column: more values than allowed");
  if (in.empty()) return Bad("uint32 column: missing width");
  int width = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (width > 32) return Bad("uint32 column: width over 32");
  // n * width must match the payload exactly; check in a way that cannot overflow.
  if (width == 0) {
    if (!in.empty()) return Bad("uint32 column: bad length");
  } else if (n > in.size() * 8 / static_cast<uint64_t>(width) ||
             (n * static_cast<uint64_t>(width) + 7) / 8 != in.size()) {
    return Bad("uint32 column: length does not match count");
  }
  std::vector<uint32_t> out;
  out.reserve(n);
  uint64_t acc = 0;
  int bits = 0;
  size_t pos = 0;
  uint64_t mask = width == 32 ? 0xffffffffu : (uint64_t{1} << width) - 1;
  for (uint64_t i = 0; i < n; ++i) {
    while (bits < width) {
      acc |= uint64_t{static_cast<uint8_t>(in[pos++])} << bits;
      bits += 8;
    }
    out.push_back(static_cast<uint32_t>(acc & mask));
    acc >>= width;
    bits -= width;
  }
  return out;
}

namespace {
template <typename S>
std::string EncodeStringsImpl(std::span<const S> values) {
  std::string out;
  size_t total = 0;
  PutVarint64(&out, values.size());
  for (const auto& v : values) {
    PutVarint64(&out, v.size());
    total += v.size();
  }
  out.reserve(out.size() + total);
  for (const auto& v : values) out.append(v);
  return out;
}
}  // namespace

std::string EncodeStrings(std::span<const std::string_view> values) {
  return EncodeStringsImpl(values);
}
std::string EncodeStrings(std::span<const std::string> values) { return EncodeStringsImpl(values); }

Result<StringColumn> DecodeStrings(std::string_view in) {
  uint64_t n;
  if (!GetCount(&in, 1, &n)) return Bad("string column: bad count");
  StringColumn col;
  col.offsets_.reserve(n + 1);
  col.offsets_.push_back(0);
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len;
    if (!GetVarint64(&in, &len) || len > in.size()) return Bad("string column: bad length");
    total += len;
    if (total > in.size()) return Bad("string column: lengths exceed data");
    col.offsets_.push_back(total);
  }
  if (total != in.size()) return Bad("string column: lengths do not match data");
  col.data_ = in;
  return col;
}

std::vector<std::string> StringColumn::ToVector() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (size_t i = 0; i < size(); ++i) out.emplace_back((*this)[i]);
  return out;
}

uint32_t StringDictionaryBuilder::Add(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  ids_.emplace(strings_.back(), id);
  return id;
}

std::string StringDictionaryBuilder::Encode() const {
  std::vector<std::string_view> views(strings_.begin(), strings_.end());
  return EncodeStrings(views);
}

Result<StringDictionary> StringDictionary::Decode(std::string_view in) {
  ASSIGN_OR_RETURN(StringColumn col, DecodeStrings(in));
  if (col.size() > UINT32_MAX) return Bad("string dictionary: too many entries");
  StringDictionary dict;
  dict.strings_ = col.ToVector();
  dict.ids_.reserve(dict.strings_.size());
  for (size_t i = 0; i < dict.strings_.size(); ++i) {
    if (!dict.ids_.emplace(dict.strings_[i], static_cast<uint32_t>(i)).second) {
      return Bad("string dictionary: duplicate entry");
    }
  }
  return dict;
}

std::optional<std::string_view> StringDictionary::Lookup(uint32_t id) const {
  if (id >= strings_.size()) return std::nullopt;
  return strings_[id];
}

std::optional<uint32_t> StringDictionary::Find(std::string_view s) const {
  auto it = ids_.find(s);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace quartet::store
