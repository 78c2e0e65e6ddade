// The LogQL syntax tree: stream selectors, the log pipeline stages, and metric
// expressions (range aggregations, vector aggregations, binary operations).
// Parse() (parser.h) builds it and compiles what can be compiled up front
// (regular expressions, patterns, templates), so a bad regex is a parse error
// and pipelines are cheap to instantiate. ToString() prints the canonical form;
// Parse(ToString(e)) yields an equal tree. Trees are immutable after Parse and
// safe to share across threads (compiled parts are shared_ptr<const ...>).
// The language is described in docs/logql.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"
#include "server/query/logql/substring_search.h"

namespace re2 {
class RE2;
}

namespace quartet::logql {

// A label set, sorted by name, names unique.
using Labels = std::vector<std::pair<std::string, std::string>>;

// `name op "value"` in a stream selector, a label filter or `drop`/`keep`.
// Regex matchers are fully anchored (as in Loki and Prometheus).
struct LabelMatcher {
  enum class Type { kEq, kNeq, kRe, kNre };
  Type type = Type::kEq;
  std::string name, value;
  std::shared_ptr<const re2::RE2> re;  // set for kRe/kNre

  // Compiles the regex for kRe/kNre; InvalidArgument with RE2's message.
  static Result<LabelMatcher> Make(Type type, std::string name, std::string value);
  // Whether a label value matches (a missing label is matched as "").
  bool Matches(std::string_view v) const;
};

// `|= "a"`, `!= "a"`, `|~ "re"`, `!~ "re"`, optionally `or "b" ...`.
// Positive filters pass when any alternative matches; negative ones pass when
// none does. Regexes are unanchored.
struct LineFilter {
  enum class Op { kContains, kNotContains, kRegex, kNotRegex };
  // One value compiled: substring searches (any may match), or a regex.
  // A regex that is only literals joined by '|' ("error|panic") is searched
  // as substrings, as Loki does, which is several times faster.
  struct Compiled {
    std::vector<SubstringSearcher> any_of;
    std::shared_ptr<const re2::RE2> re;
  };
  Op op = Op::kContains;
  std::vector<std::string> values;
  std::vector<Compiled> compiled;  // one per value

  // Builds a filter (InvalidArgument with RE2's message for a bad regex).
  // Parse() builds its filters the same way.
  static Result<LineFilter> Make(Op op, std::vector<std::string> values);
  // Allocation-free; stops at the first alternative that decides.
  bool Matches(std::string_view line) const;
};

// A boolean tree of label comparisons: `status >= 500 and (level="error" or x=~"re")`.
struct LabelFilterExpr {
  enum class Kind { kAnd, kOr, kString, kNumber, kDuration, kBytes };
  enum class Cmp { kEq, kNeq, kGt, kGte, kLt, kLte };
  Kind kind = Kind::kString;
  std::shared_ptr<const LabelFilterExpr> left, right;  // kAnd, kOr
  LabelMatcher matcher;                                // kString
  std::string name;                                    // numeric kinds
  Cmp cmp = Cmp::kEq;                                  // numeric kinds
  double value = 0;     // kNumber: the number; kDuration: seconds; kBytes: bytes
  std::string literal;  // kDuration/kBytes: the literal as written, for printing
};

// A JSON path for `| json label="a.b[0]"`: object keys and array indexes.
struct JsonPathSegment {
  std::string key;
  int64_t index = -1;  // >= 0 for an array index
};

struct JsonStage {
  struct Extraction {
    std::string label;
    std::string path;  // as written
    std::vector<JsonPathSegment> segments;
  };
  std::vector<Extraction> extractions;  // empty: flatten every field
};

struct LogfmtStage {
  struct Extraction {
    std::string label, key;
  };
  std::vector<Extraction> extractions;  // empty: every key
};

class Pattern;   // pattern_parser.h
class Template;  // line_template.h

struct PatternStage {
  std::string pattern;
  std::shared_ptr<const Pattern> compiled;
};

struct RegexpStage {
  std::string regex;
  std::shared_ptr<const re2::RE2> re;
};

struct LabelFilterStage {
  std::shared_ptr<const LabelFilterExpr> expr;
};

struct LineFormatStage {
  std::string text;
  std::shared_ptr<const Template> compiled;
};

// `| label_format dst=src, dst2="{{.x}}"`: a rename (src removed) or a template.
struct LabelFormatStage {
  struct Item {
    std::string dst, src;
    bool is_template = false;
    std::shared_ptr<const Template> compiled;
  };
  std::vector<Item> items;
};

// `| drop a, b="x"` / `| keep a, b`: name-only items, or matchers.
struct DropKeepStage {
  bool keep = false;
  struct Item {
    std::string name;
    std::optional<LabelMatcher> matcher;
  };
  std::vector<Item> items;
};

// `| decolorize`: removes ANSI colour escape sequences from the line.
struct DecolorizeStage {};

using Stage =
    std::variant<LineFilter, JsonStage, LogfmtStage, PatternStage, RegexpStage, LabelFilterStage,
                 LineFormatStage, LabelFormatStage, DropKeepStage, DecolorizeStage>;

// `{a="b"} |= "x" | json ...`: a log query.
struct LogQuery {
  std::vector<LabelMatcher> selector;  // at least one matcher
  std::vector<Stage> pipeline;
};

// `| unwrap duration(latency) | __error__=""` inside a range aggregation.
struct Unwrap {
  enum class Conv { kNone, kDuration, kDurationSeconds, kBytes };
  std::string label;
  Conv conv = Conv::kNone;
  std::vector<std::shared_ptr<const LabelFilterExpr>> post_filters;
};

// `{..} | pipeline [5m] offset 1h`.
struct LogRange {
  LogQuery query;
  std::optional<Unwrap> unwrap;
  int64_t range_ns = 0;
  int64_t offset_ns = 0;
};

enum class RangeOp {
  kCountOverTime,
  kRate,
  kBytesOverTime,
  kBytesRate,
  kSumOverTime,
  kAvgOverTime,
  kMaxOverTime,
  kMinOverTime,
  kFirstOverTime,
  kLastOverTime,
  kStddevOverTime,
  kStdvarOverTime,
  kQuantileOverTime,
  kAbsentOverTime,
};
enum class VectorOp { kSum, kAvg, kMax, kMin, kCount, kStddev, kStdvar, kTopK, kBottomK };
enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEq,
  kNeq,
  kGt,
  kGte,
  kLt,
  kLte,
  kAnd,  // set operators: match on identical label sets, vectors only
  kOr,
  kUnless,
};
// Binding strength, Prometheus order: or < and unless < comparisons < + - <
// * / % < ^ (the only right-associative one).
int BinaryOpPrecedence(BinaryOp op);
inline bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEq && op <= BinaryOp::kLte; }
inline bool IsSetOperator(BinaryOp op) { return op >= BinaryOp::kAnd; }

struct Grouping {
  bool without = false;
  std::vector<std::string> labels;
};

struct MetricExpr;
using MetricPtr = std::shared_ptr<const MetricExpr>;

// One node of a metric expression; which fields are used depends on kind.
struct MetricExpr {
  enum class Kind { kRangeAggregation, kVectorAggregation, kBinary, kLiteral, kVector };
  Kind kind = Kind::kLiteral;
  // kRangeAggregation
  RangeOp range_op = RangeOp::kCountOverTime;
  LogRange range;
  double quantile = 0;  // quantile_over_time's parameter
  // kRangeAggregation (unwrapped ops only) and kVectorAggregation
  std::optional<Grouping> grouping;
  // kVectorAggregation
  VectorOp vector_op = VectorOp::kSum;
  int64_t k = 0;  // topk/bottomk
  MetricPtr inner;
  // kBinary
  BinaryOp binary_op = BinaryOp::kAdd;
  bool return_bool = false;  // comparison `bool` modifier
  MetricPtr lhs, rhs;
  // kLiteral (a scalar) and kVector (`vector(0)`: one label-less series)
  double literal = 0;
};

// A parsed query: a log query (streams) or a metric query (series).
using Expr = std::variant<LogQuery, MetricPtr>;

// The canonical text of a query (see the header comment).
std::string ToString(const Expr& expr);
std::string ToString(const MetricExpr& expr);
std::string ToString(const LogQuery& query);
std::string ToString(const LabelFilterExpr& expr);

std::string_view RangeOpName(RangeOp op);
std::string_view VectorOpName(VectorOp op);
std::string_view BinaryOpName(BinaryOp op);

}  // namespace quartet::logql
