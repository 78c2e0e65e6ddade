// Column codecs: how the integrator lays out span, log, sample and profile
// columns inside block sections (docs/formats/block.md, "Column encodings").
// Encoders produce compact, zstd-friendly bytes; decoders validate every
// count, length and varint and return InvalidArgument/DataLoss instead of
// reading out of bounds, so they are safe on untrusted bytes. Pure functions
// and plain value types: thread-compatible.
//
//   std::string ts = EncodeInt64s(start_times);          // sorted: ~1-2 bytes each
//   ASSIGN_OR_RETURN(std::vector<int64_t> back, DecodeInt64s(ts));
//   StringDictionaryBuilder names;  uint32_t id = names.Add("GET /cart");
//   std::string ids = EncodeUint32s(name_ids), dict = names.Encode();
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace quartet::store {

// --- Integers ---------------------------------------------------------------

// Signed 64-bit values, delta or delta-of-delta coded (whichever is smaller)
// as zigzag varints. Sorted or regular sequences (timestamps) cost 1-2 bytes a
// value; any sequence, unsorted or extreme, round-trips exactly.
std::string EncodeInt64s(std::span<const int64_t> values);
Result<std::vector<int64_t>> DecodeInt64s(std::string_view in);

// Unsigned 32-bit values bit-packed at the width of the largest value
// (dictionary ids, counts, small enums). An all-zero column takes no bits per
// value, so its length is not bounded by its bytes: the decoder refuses more
// than max_values values.
inline constexpr uint64_t kMaxColumnValues = uint64_t{1} << 26;
std::string EncodeUint32s(std::span<const uint32_t> values);
Result<std::vector<uint32_t>> DecodeUint32s(std::string_view in,
                                            uint64_t max_values = kMaxColumnValues);

// --- Strings ----------------------------------------------------------------

// A column of arbitrary strings (log lines, mostly unique): all lengths first,
// then all bytes, so zstd sees similar data together.
std::string EncodeStrings(std::span<const std::string_view> values);
std::string EncodeStrings(std::span<const std::string> values);

// A decoded string column that points into the encoded bytes (no copies):
// those bytes must outlive it.
class StringColumn {
 public:
  size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  std::string_view operator[](size_t i) const {
    return data_.substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  std::vector<std::string> ToVector() const;

 private:
  friend Result<StringColumn> DecodeStrings(std::string_view in);
  std::string_view data_;
  std::vector<uint64_t> offsets_;  // size()+1 entries
};
Result<StringColumn> DecodeStrings(std::string_view in);

// Assigns dense ids (0, 1, ...) to distinct strings in first-seen order, for
// low-cardinality columns (service, span name, attribute keys): store the
// dictionary once and the ids with EncodeUint32s.
class StringDictionaryBuilder {
 public:
  StringDictionaryBuilder() = default;
  // The map holds views into strings_: moving keeps them valid, copying would not.
  StringDictionaryBuilder(StringDictionaryBuilder&&) = default;
  StringDictionaryBuilder& operator=(StringDictionaryBuilder&&) = default;
  StringDictionaryBuilder(const StringDictionaryBuilder&) = delete;
  StringDictionaryBuilder& operator=(const StringDictionaryBuilder&) = delete;
  uint32_t Add(std::string_view s);
  size_t size() const { return strings_.size(); }
  std::string Encode() const;

 private:
  std::deque<std::string> strings_;  // stable storage for the map's keys
  std::unordered_map<std::string_view, uint32_t> ids_;
};

// A decoded dictionary: lookup by id and reverse lookup by string (to turn a
// query's `name = "x"` into an id comparison). Owns its strings.
class StringDictionary {
 public:
  StringDictionary(StringDictionary&&) = default;
  StringDictionary& operator=(StringDictionary&&) = default;
  StringDictionary(const StringDictionary&) = delete;
  StringDictionary& operator=(const StringDictionary&) = delete;
  static Result<StringDictionary> Decode(std::string_view in);
  size_t size() const { return strings_.size(); }
  // The string of id, or nullopt when id is out of range.
  std::optional<std::string_view> Lookup(uint32_t id) const;
  // The id of s, or nullopt when s is not in the dictionary.
  std::optional<uint32_t> Find(std::string_view s) const;

 private:
  StringDictionary() = default;
  std::vector<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t> ids_;  // views into strings_
};

}  // namespace quartet::store
