// The PromQL syntax tree, as Prometheus 2.42's promql/parser builds it:
// literals, vector selectors (with offset and @), range selectors,
// subqueries, unary/binary operators with vector matching, aggregations and
// function calls. Parentheses are kept as nodes so that printing (Print,
// printer.cc) reproduces the structure and Parse(Print(e)) equals e.
// A tree is a plain value owned through unique_ptr; immutable after parsing
// and then safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/query/promql/labels.h"

namespace quartet::promql {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
// "scalar", "instant vector", "range vector", "string" as in error messages.
std::string_view DocumentedType(ValueType t);
// "scalar", "vector", "matrix", "string" as in API responses.
std::string_view ApiType(ValueType t);

enum class BinOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
};
std::string_view BinOpString(BinOp op);
bool IsComparison(BinOp op);
bool IsSetOp(BinOp op);

enum class AggOp {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
};
std::string_view AggOpString(AggOp op);

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;                   // on(...) rather than ignoring(...)
  std::vector<std::string> labels;   // the on/ignoring list
  std::vector<std::string> include;  // group_left/right(...) labels
  friend bool operator==(const VectorMatching&, const VectorMatching&) = default;
};

enum class AtKind { kNone, kTimestamp, kStart, kEnd };

struct FunctionInfo;

enum class ExprKind {
  kNumber,
  kString,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

struct Expr {
  ExprKind kind;

  double number = 0;  // kNumber
  std::string str;    // kString value
  // kVectorSelector / kMatrixSelector (the selector's own fields) / kSubquery.
  std::string metric_name;        // "" when given only as a __name__ matcher
  std::vector<Matcher> matchers;  // all of them, the name's matcher included
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;     // for kTimestamp
  int64_t range_ms = 0;  // kMatrixSelector, kSubquery
  int64_t step_ms = 0;   // kSubquery; 0 = the default step

  // kUnary (op kSub or kAdd, operand in lhs), kBinary.
  BinOp op = BinOp::kAdd;
  bool return_bool = false;
  std::optional<VectorMatching> matching;  // set for vector-vector operations
  std::unique_ptr<Expr> lhs;               // also the operand of kParen, kSubquery, kUnary
  std::unique_ptr<Expr> rhs;

  // kAggregate: operand in lhs, parameter in rhs.
  AggOp agg = AggOp::kSum;
  bool without = false;
  std::vector<std::string> grouping;

  // kCall
  const FunctionInfo* func = nullptr;
  std::vector<std::unique_ptr<Expr>> args;

  ValueType type() const;
};

using ExprPtr = std::unique_ptr<Expr>;

// The canonical text of an expression (Prometheus's printer).
std::string Print(const Expr& e);
// Structural equality (numbers compare bitwise, except that all NaNs are
// equal).
bool Equal(const Expr& a, const Expr& b);
// Strips parentheses.
const Expr* Unparen(const Expr* e);

}  // namespace quartet::promql
