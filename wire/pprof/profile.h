// pprof: the perftools.profiles.Profile message (google/pprof
// proto/profile.proto) as plain structs, its encoder and its decoder. The SDK
// encodes CPU profiles with it (usually through ProfileBuilder, builder.h);
// quartetd decodes what Pyroscope clients and `go tool pprof` users send.
// Field numbers are in PROTOCOLS.md ("Pyroscope and pprof").
//
// Strings are kept as indexes into string_table, exactly as on the wire, so a
// decoded profile re-encodes to the same meaning; StringAt() resolves them.
// The decoder refuses what a consumer could trip on: string indexes outside the
// table, ids of 0, string_table[0] not empty, more values in a sample than
// sample types, and it charges every materialized element against an
// allocation budget proportional to the input size (hostile input cannot make
// it allocate much more than it sends).
//
// Thread-safety: plain values and free functions; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::pprof {

struct ValueType {
  int64_t type = 0;  // string index, e.g. "cpu"
  int64_t unit = 0;  // string index, e.g. "nanoseconds"
};

struct Label {
  int64_t key = 0;  // string index
  int64_t str = 0;  // string index; 0 when the label is numeric
  int64_t num = 0;
  int64_t num_unit = 0;  // string index
};

struct Sample {
  std::vector<uint64_t> location_id;  // leaf first
  std::vector<int64_t> value;         // one per Profile::sample_type
  std::vector<Label> label;
};

struct Mapping {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  int64_t filename = 0;  // string index
  int64_t build_id = 0;  // string index
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct Line {
  uint64_t function_id = 0;
  int64_t line = 0;
  int64_t column = 0;
};

struct Location {
  uint64_t id = 0;
  uint64_t mapping_id = 0;  // 0: none
  uint64_t address = 0;
  std::vector<Line> line;  // innermost (inlined) first
  bool is_folded = false;
};

struct Function {
  uint64_t id = 0;
  int64_t name = 0;         // string index: demangled name
  int64_t system_name = 0;  // string index: mangled name
  int64_t filename = 0;     // string index
  int64_t start_line = 0;
};

struct Profile {
  std::vector<ValueType> sample_type;
  std::vector<Sample> sample;
  std::vector<Mapping> mapping;
  std::vector<Location> location;
  std::vector<Function> function;
  std::vector<std::string> string_table;  // [0] is always ""
  int64_t drop_frames = 0;                // string index (regexp)
  int64_t keep_frames = 0;                // string index (regexp)
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<int64_t> comment;     // string indexes
  int64_t default_sample_type = 0;  // string index

  // The string at `index`, or "" when it is out of range (decoded profiles
  // never hold such an index).
  std::string_view StringAt(int64_t index) const {
    if (index < 0 || static_cast<size_t>(index) >= string_table.size()) return {};
    return string_table[static_cast<size_t>(index)];
  }
};

// Serializes `profile` (not compressed). Never fails: the structs cannot hold
// anything the wire format cannot carry.
std::string Encode(const Profile& profile);
// Encode() then gzip, the form pprof files and Pyroscope uploads take.
Result<std::string> EncodeGzip(const Profile& profile);

struct DecodeLimits {
  // Bytes of decoded structures allowed per byte of (uncompressed) input,
  // plus a fixed allowance for small inputs.
  int64_t budget_per_input_byte = 64;
  int64_t budget_base = 1 << 20;
  // Ceiling on the uncompressed size of a gzipped profile.
  size_t max_uncompressed = 256u << 20;
};

// Decodes a serialized Profile. Errors: InvalidArgument naming the message
// and field that is malformed or inconsistent (e.g. "sample 3: label 1: key:
// string index 900 outside string_table (12 strings)"), ResourceExhausted when
// the allocation budget runs out, OutOfRange on truncation.
Result<Profile> Decode(std::string_view bytes, const DecodeLimits& limits = {});
// Decodes a gzipped profile, or a raw one when `bytes` does not start with the
// gzip magic (1f 8b), as pprof tools accept both.
Result<Profile> DecodeMaybeGzip(std::string_view bytes, const DecodeLimits& limits = {});

}  // namespace quartet::pprof
