// The TraceQL syntax tree that Parse produces, ToString prints and Evaluate
// runs: field references (attributes by scope, intrinsics), conditions,
// boolean filter expressions inside `{ }`, spanset expressions joined by
// && || and structural operators, and pipelines (`| count() > 2`). Plain
// values: a parsed Query is immutable in use and may be shared by threads
// evaluating concurrently (compiled regexes are shared, RE2 is thread-safe).
// The language is described in docs/traceql.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/query/traceql/value.h"

namespace re2 {
class RE2;
}

namespace quartet::traceql {

// Which intrinsic a field reference names (kNone for attributes).
enum class Intrinsic : uint8_t {
  kNone,
  // Span level (scope kIntrinsic).
  kName,
  kStatus,
  kStatusMessage,
  kKind,
  kDuration,
  kEventName,               // event:name — any event of the span
  kInstrumentationName,     // instrumentation:name
  kInstrumentationVersion,  // instrumentation:version
  kNestedSetParent,         // nestedSetParent: -1 for a root span, else positive
  kSpanId,                  // span:id, 16 lowercase hex digits
  kParentId,                // span:parentID, "" for a root span
  // Trace level (scope kTrace), from TraceFacts.
  kTraceDuration,
  kRootName,
  kRootService,
  kTraceId,  // trace:id, 32 lowercase hex digits (read from the span)
};

// Where a field is looked up.
enum class Scope : uint8_t {
  kSpan,             // span.x: the span's attributes
  kResource,         // resource.x: the resource's attributes
  kAny,              // .x: span attributes, then resource attributes
  kIntrinsic,        // name, status, kind, duration, ... (span level)
  kTrace,            // trace:duration, trace:rootName, trace:rootService
  kEvent,            // event.x: attributes of any of the span's events
  kLink,             // link.x: attributes of any of the span's links
  kInstrumentation,  // instrumentation.x: the instrumentation scope's attributes
};

// A field: an attribute (scope + key) or an intrinsic. For intrinsics `name`
// is the canonical spelling ("duration", "trace:rootName").
struct FieldRef {
  Scope scope = Scope::kSpan;
  std::string name;
  Intrinsic intrinsic = Intrinsic::kNone;

  friend bool operator==(const FieldRef&, const FieldRef&) = default;
};

// `field op literal`, testable on one span (and its trace's facts). For =~
// and !~ the pattern is compiled once (fully anchored, RE2 syntax) and shared
// by copies. Build one by hand with MakeCondition (evaluate.h).
struct FieldCondition {
  using Scope = traceql::Scope;

  Scope scope = Scope::kSpan;
  std::string name;  // attribute key, or the intrinsic's canonical name
  Op op = Op::kEq;
  Value literal;
  Intrinsic intrinsic = Intrinsic::kNone;
  std::shared_ptr<const re2::RE2> regex;  // set iff op is kRegex or kNotRegex

  FieldRef field() const { return {scope, name, intrinsic}; }
  // Compares everything but the compiled regex (its pattern is `literal`).
  friend bool operator==(const FieldCondition& a, const FieldCondition& b);
};

// A boolean expression over one span: the inside of `{ }`. kAnd and kOr have
// two or more children (nested same-kind operators are flattened), kNot one.
// kConst is `true` / `false` (an empty filter `{ }` is kConst true).
struct FilterExpr {
  enum class Kind : uint8_t { kConst, kCondition, kAnd, kOr, kNot };

  Kind kind = Kind::kConst;
  bool const_value = true;
  FieldCondition condition;
  std::vector<FilterExpr> children;

  friend bool operator==(const FilterExpr&, const FilterExpr&) = default;
};

// Structural relations `{L} op {R}`: each selects spans of R by how they
// relate to spans of L (see docs/traceql.md). The negated forms select the
// spans of R that have no such relation.
enum class StructuralOp : uint8_t {
  kDescendant,     // >>  R spans with an ancestor in L
  kChild,          // >   R spans whose parent is in L
  kSibling,        // ~   R spans with a sibling (same parent) in L
  kAncestor,       // <<  R spans that are an ancestor of an L span
  kParent,         // <   R spans that are the parent of an L span
  kNotDescendant,  // !>>
  kNotChild,       // !>
  kNotSibling,     // !~
  kNotAncestor,    // !<<
  kNotParent,      // !<
};
std::string_view StructuralOpText(StructuralOp op);

enum class Aggregate : uint8_t { kCount, kAvg, kMin, kMax, kSum };
std::string_view AggregateName(Aggregate a);

struct SpansetExpr;

// One `| stage` of a pipeline.
struct PipelineStage {
  enum class Kind : uint8_t {
    kFilter,     // | { ... }          keeps the spans matching the filter
    kAggregate,  // | avg(duration) > 1s   keeps spansets whose aggregate passes
    kBy,         // | by(field, ...)   splits each spanset by the fields' values
    kSelect,     // | select(field, ...)   no effect on matching
    kCoalesce,   // | coalesce()       merges all spansets into one
  };

  Kind kind = Kind::kFilter;
  FilterExpr filter;                        // kFilter
  Aggregate aggregate = Aggregate::kCount;  // kAggregate
  FieldRef aggregate_field;                 // kAggregate (unused for count)
  Op op = Op::kEq;                          // kAggregate
  Value literal;                            // kAggregate: numeric
  std::vector<FieldRef> fields;             // kBy, kSelect

  friend bool operator==(const PipelineStage&, const PipelineStage&) = default;
};

// A spanset expression. kAnd / kOr have two or more children (flattened);
// kStructural has exactly two (left, right); kPipeline has one child (the
// input) and one or more stages.
struct SpansetExpr {
  enum class Kind : uint8_t { kFilter, kAnd, kOr, kStructural, kPipeline };

  Kind kind = Kind::kFilter;
  FilterExpr filter;  // kFilter
  StructuralOp structural = StructuralOp::kDescendant;
  std::vector<SpansetExpr> children;
  std::vector<PipelineStage> stages;  // kPipeline

  friend bool operator==(const SpansetExpr&, const SpansetExpr&) = default;
};

// A parsed query. Make one with Parse (parser.h).
struct Query {
  SpansetExpr root;

  friend bool operator==(const Query&, const Query&) = default;
};

// The fields of every `select(...)` stage of the query, in order, without
// duplicates: what a search response should show for each returned span.
std::vector<FieldRef> SelectedFields(const Query& query);

// Intrinsic by any accepted spelling ("duration", "span:duration",
// "traceDuration", "trace:duration", ...), or kNone.
Intrinsic LookupIntrinsic(std::string_view spelling);
// Canonical spelling ("trace:rootService") and scope of an intrinsic.
std::string_view IntrinsicName(Intrinsic i);
Scope IntrinsicScope(Intrinsic i);

}  // namespace quartet::traceql
