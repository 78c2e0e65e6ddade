// Span columns: how one row group of a trace block (format v2,
// docs/formats/traces.md) stores its spans column by column, and the
// compact value serialization used for what the columns keep whole
// (resources, scopes, non-scalar attribute values, events, links).
//
// A row group is written as three sections, each a packed list of columns
// compressed together: the "search" family (what span filters read: names,
// resources, statuses, durations, the small dictionary), the "attribute"
// family (generic attribute columns and the value dictionary) and the
// "extra" family (everything else needed to rebuild OTLP exactly). Decoders
// validate every length, id and count and never read out of bounds.
//
// Thread-safety: SpanColumnsBuilder is used by one thread; the decoded
// column structs are immutable values, safe to share once built.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/block/column.h"
#include "wire/otlp/model.h"

namespace quartet::store {

// ---- value serialization -----------------------------------------------------

// Resource / scope table entries: the message and its group's schema_url.
std::string EncodeResourceEntry(const otlp::Resource& resource, std::string_view schema_url);
Status DecodeResourceEntry(std::string_view in, otlp::Resource* resource, std::string* schema_url);
std::string EncodeScopeEntry(const otlp::InstrumentationScope& scope, std::string_view schema_url);
Status DecodeScopeEntry(std::string_view in, otlp::InstrumentationScope* scope,
                        std::string* schema_url);

// One AnyValue of any kind (nesting is bounded on decode).
void PutAnyValue(std::string* out, const otlp::AnyValue& value);
Status DecodeAnyValue(std::string_view in, otlp::AnyValue* value);

// ---- row group columns -------------------------------------------------------

// Attribute value types in the `attr_type` column.
enum class AttrType : uint8_t { kEmpty = 0, kString, kBool, kInt, kDouble, kOther };

// Bits of the `group` column: the span opens a new ResourceSpans / ScopeSpans.
inline constexpr uint32_t kGroupNewResource = 1;
inline constexpr uint32_t kGroupNewScope = 2;

// One span of a trace being added, with its block-level table ids.
struct SpanRef {
  const otlp::Span* span;
  uint32_t resource;
  uint32_t scope;
  uint32_t group_bits;
};

class SpanColumnsBuilder {
 public:
  // Appends the spans of one trace (in their OTLP order). Times are stored
  // as wrapping deltas from `base_ns` (the trace's start), so any value
  // round-trips.
  void AddTrace(std::span<const SpanRef> spans, int64_t base_ns);
  uint32_t span_count() const { return static_cast<uint32_t>(names_.size()); }

  struct Sections {
    std::string search, attributes, extra;
  };
  // Encodes the row group and resets the builder for the next one.
  Sections Finish();

 private:
  StringDictionaryBuilder dict_;  // names, status messages, trace states, attribute keys
  StringDictionaryBuilder vals_;  // string attribute values
  std::vector<uint32_t> names_, resources_, statuses_;
  std::vector<int64_t> durations_;
  std::string span_ids_, parent_xids_;
  std::vector<uint32_t> parents_, parent_xs_, kinds_, status_msgs_, trace_states_, flags_;
  std::vector<uint32_t> groups_, scopes_, d_attrs_, d_events_, d_links_;
  std::vector<int64_t> starts_;
  std::vector<std::string> events_, links_;
  std::vector<uint32_t> attr_n_, attr_key_, attr_type_, attr_str_, attr_bool_;
  std::vector<int64_t> attr_int_;
  std::string attr_dbl_;
  std::vector<std::string> attr_other_;
};

// The search family of one row group of n spans. `columns` selects which
// columns to decode (the dictionary always is); the others stay empty.
inline constexpr uint32_t kSearchName = 1;
inline constexpr uint32_t kSearchResource = 2;
inline constexpr uint32_t kSearchStatus = 4;
inline constexpr uint32_t kSearchDuration = 8;
inline constexpr uint32_t kSearchAll = 15;
struct SpanSearchColumns {
  static Result<SpanSearchColumns> Decode(std::string_view bytes, uint32_t n,
                                          uint32_t resource_count, uint32_t columns = kSearchAll);
  std::optional<StringDictionary> dict;
  std::vector<uint32_t> name, resource, status;
  std::vector<int64_t> duration;
};

// The attribute family of one row group of n spans.
struct SpanAttributeColumns {
  // `numeric_only`: decode only what numeric comparisons read (begin, key,
  // type, slot, ints, dbl_bytes) — the string values and their dictionary,
  // the costly part, stay empty and unvalidated.
  static Result<SpanAttributeColumns> Decode(std::string_view bytes, uint32_t n, uint32_t dict_size,
                                             bool numeric_only = false);
  // Attributes of span i are [begin[i], begin[i + 1]).
  std::vector<uint32_t> begin;
  std::vector<uint32_t> key, type;
  std::vector<uint32_t> slot;  // index into the column of its type
  std::vector<uint32_t> str, bools;
  std::vector<int64_t> ints;
  std::string dbl_bytes;
  // Owns the bytes `other` points into: on the heap, so that moving the
  // struct (a short std::string keeps its bytes inline) never leaves the
  // column's views dangling.
  std::unique_ptr<const std::string> other_bytes;
  std::optional<StringColumn> other;
  std::optional<StringDictionary> vals;
  // The value of attribute a (validated at Decode, except kOther bytes).
  Status Value(uint32_t a, otlp::AnyValue* out) const;
};

// The extra family of one row group of n spans.
struct SpanExtraColumns {
  static Result<SpanExtraColumns> Decode(std::string_view bytes, uint32_t n, uint32_t dict_size,
                                         uint32_t scope_count);
  std::string span_ids;  // 8 bytes a span
  std::vector<uint32_t> parent, kind, status_msg, trace_state, flags, group, scope;
  std::vector<uint32_t> d_attrs, d_events, d_links;
  std::vector<int64_t> start;
  std::vector<int32_t> parent_x;  // per span: index into parent_xids, or -1
  std::string parent_xids;
  std::unique_ptr<const std::string> events_bytes, links_bytes;  // as other_bytes above
  std::optional<StringColumn> events, links;
};

// A fully decoded row group, from which traces are rebuilt.
struct SpanRowGroup {
  SpanSearchColumns search;
  SpanAttributeColumns attributes;
  SpanExtraColumns extra;

  // Appends spans [first, first + count) — one trace — to *out, grouped as
  // they were written. `resources` / `scopes` are the block's tables.
  Status ReadTrace(uint32_t first, uint32_t count, int64_t base_ns, const TraceId& trace_id,
                   std::span<const otlp::ResourceSpans> resources,
                   std::span<const otlp::ScopeSpans> scopes,
                   otlp::ExportTraceServiceRequest* out) const;
};

}  // namespace quartet::store
