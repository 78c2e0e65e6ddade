#include "server/query/promql/ast.h"

#include <cmath>
#include <cstring>

#include "server/query/promql/functions.h"

namespace quartet::promql {

std::string_view DocumentedType(ValueType t) {
  switch (t) {
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
    case ValueType::kNone:
      break;
  }
  return "none";
}

std::string_view ApiType(ValueType t) {
  switch (t) {
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
    case ValueType::kNone:
      break;
  }
  return "none";
}

std::string_view BinOpString(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return "+";
    case BinOp::kSub:
      return "-";
    case BinOp::kMul:
      return "*";
    case BinOp::kDiv:
      return "/";
    case BinOp::kMod:
      return "%";
    case BinOp::kPow:
      return "^";
    case BinOp::kAtan2:
      return "atan2";
    case BinOp::kEql:
      return "==";
    case BinOp::kNeq:
      return "!=";
    case BinOp::kGtr:
      return ">";
    case BinOp::kLss:
      return "<";
    case BinOp::kGte:
      return ">=";
    case BinOp::kLte:
      return "<=";
    case BinOp::kAnd:
      return "and";
    case BinOp::kOr:
      return "or";
    case BinOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparison(BinOp op) {
  return op == BinOp::kEql || op == BinOp::kNeq || op == BinOp::kGtr || op == BinOp::kLss ||
         op == BinOp::kGte || op == BinOp::kLte;
}

bool IsSetOp(BinOp op) { return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kUnless; }

std::string_view AggOpString(AggOp op) {
  switch (op) {
    case AggOp::kSum:
      return "sum";
    case AggOp::kAvg:
      return "avg";
    case AggOp::kCount:
      return "count";
    case AggOp::kMin:
      return "min";
    case AggOp::kMax:
      return "max";
    case AggOp::kGroup:
      return "group";
    case AggOp::kStddev:
      return "stddev";
    case AggOp::kStdvar:
      return "stdvar";
    case AggOp::kTopk:
      return "topk";
    case AggOp::kBottomk:
      return "bottomk";
    case AggOp::kCountValues:
      return "count_values";
    case AggOp::kQuantile:
      return "quantile";
  }
  return "?";
}

ValueType Expr::type() const {
  switch (kind) {
    case ExprKind::kNumber:
      return ValueType::kScalar;
    case ExprKind::kString:
      return ValueType::kString;
    case ExprKind::kVectorSelector:
      return ValueType::kVector;
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:
      return ValueType::kMatrix;
    case ExprKind::kParen:
    case ExprKind::kUnary:
      return lhs->type();
    case ExprKind::kBinary:
      return lhs->type() == ValueType::kScalar && rhs->type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    case ExprKind::kAggregate:
      return ValueType::kVector;
    case ExprKind::kCall:
      return func->return_type;
  }
  return ValueType::kNone;
}

const Expr* Unparen(const Expr* e) {
  while (e != nullptr && e->kind == ExprKind::kParen) e = e->lhs.get();
  return e;
}

namespace {

bool EqualPtr(const ExprPtr& a, const ExprPtr& b) {
  if (!a || !b) return !a && !b;
  return Equal(*a, *b);
}

}  // namespace

bool Equal(const Expr& a, const Expr& b) {
  if (a.kind != b.kind) return false;
  // Bitwise, so that -0 != 0, but any NaN equals any NaN (NaN prints as NaN).
  if (std::memcmp(&a.number, &b.number, sizeof a.number) != 0 &&
      !(std::isnan(a.number) && std::isnan(b.number))) {
    return false;
  }
  if (a.str != b.str || a.metric_name != b.metric_name || a.matchers != b.matchers ||
      a.offset_ms != b.offset_ms || a.at != b.at || a.at_ms != b.at_ms ||
      a.range_ms != b.range_ms || a.step_ms != b.step_ms) {
    return false;
  }
  if ((a.kind == ExprKind::kBinary || a.kind == ExprKind::kUnary) &&
      (a.op != b.op || a.return_bool != b.return_bool || a.matching != b.matching)) {
    return false;
  }
  if (a.kind == ExprKind::kAggregate &&
      (a.agg != b.agg || a.without != b.without || a.grouping != b.grouping)) {
    return false;
  }
  if (a.func != b.func || a.args.size() != b.args.size()) return false;
  for (size_t i = 0; i < a.args.size(); ++i) {
    if (!EqualPtr(a.args[i], b.args[i])) return false;
  }
  return EqualPtr(a.lhs, b.lhs) && EqualPtr(a.rhs, b.rhs);
}

}  // namespace quartet::promql
