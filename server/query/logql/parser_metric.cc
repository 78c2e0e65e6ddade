// The metric half of the LogQL parser: binary operators by precedence,
// range and vector aggregations, groupings.
#include <cmath>
#include <utility>

#include "server/query/logql/parser_internal.h"

namespace quartet::logql::parser_internal {
namespace {

std::optional<RangeOp> RangeOpFromName(std::string_view n) {
  for (int i = 0; i <= static_cast<int>(RangeOp::kAbsentOverTime); ++i) {
    if (RangeOpName(static_cast<RangeOp>(i)) == n) return static_cast<RangeOp>(i);
  }
  return std::nullopt;
}

std::optional<VectorOp> VectorOpFromName(std::string_view n) {
  for (int i = 0; i <= static_cast<int>(VectorOp::kBottomK); ++i) {
    if (VectorOpName(static_cast<VectorOp>(i)) == n) return static_cast<VectorOp>(i);
  }
  return std::nullopt;
}

bool IsUnwrappedOp(RangeOp op) {
  return op != RangeOp::kCountOverTime && op != RangeOp::kRate && op != RangeOp::kBytesOverTime &&
         op != RangeOp::kBytesRate && op != RangeOp::kAbsentOverTime;
}

}  // namespace

using T = TokenType;

Result<MetricPtr> Parser::ParseMetric(int min_prec) {
  RETURN_IF_ERROR(Enter());
  ASSIGN_OR_RETURN(MetricPtr left, ParseMetricUnary());
  while (true) {
    std::optional<BinaryOp> op;
    switch (Cur().type) {
      case T::kAdd:
        op = BinaryOp::kAdd;
        break;
      case T::kSub:
        op = BinaryOp::kSub;
        break;
      case T::kMul:
        op = BinaryOp::kMul;
        break;
      case T::kDiv:
        op = BinaryOp::kDiv;
        break;
      case T::kMod:
        op = BinaryOp::kMod;
        break;
      case T::kPow:
        op = BinaryOp::kPow;
        break;
      case T::kEqEq:
        op = BinaryOp::kEq;
        break;
      case T::kNeq:
        op = BinaryOp::kNeq;
        break;
      case T::kGt:
        op = BinaryOp::kGt;
        break;
      case T::kGte:
        op = BinaryOp::kGte;
        break;
      case T::kLt:
        op = BinaryOp::kLt;
        break;
      case T::kLte:
        op = BinaryOp::kLte;
        break;
      default:
        if (IsIdent("or")) op = BinaryOp::kOr;
        if (IsIdent("and")) op = BinaryOp::kAnd;
        if (IsIdent("unless")) op = BinaryOp::kUnless;
        break;
    }
    if (!op) break;
    int prec = BinaryOpPrecedence(*op);
    if (prec < min_prec) break;
    Advance();
    auto node = std::make_shared<MetricExpr>();
    node->kind = MetricExpr::Kind::kBinary;
    node->binary_op = *op;
    if (IsIdent("bool")) {
      if (!IsComparison(*op)) {
        return ErrorAt(Cur().offset, "bool modifier is only allowed on comparisons");
      }
      node->return_bool = true;
      Advance();
    }
    ASSIGN_OR_RETURN(node->rhs, ParseMetric(*op == BinaryOp::kPow ? prec : prec + 1));
    node->lhs = std::move(left);
    if (IsSetOperator(*op) && (node->lhs->kind == MetricExpr::Kind::kLiteral ||
                               node->rhs->kind == MetricExpr::Kind::kLiteral)) {
      return ErrorAt(Cur().offset, "set operator \"" + std::string(BinaryOpName(*op)) +
                                       "\" is only allowed between vectors, not scalars");
    }
    if (IsComparison(*op) && !node->return_bool && node->lhs->kind == MetricExpr::Kind::kLiteral &&
        node->rhs->kind == MetricExpr::Kind::kLiteral) {
      return ErrorAt(Cur().offset, "comparisons between scalars must use the bool modifier");
    }
    left = std::move(node);
  }
  --depth_;
  return left;
}

Result<MetricPtr> Parser::ParseMetricUnary() {
  if (Is(T::kSub) || Is(T::kAdd)) {
    bool negate = Is(T::kSub);
    Advance();
    ASSIGN_OR_RETURN(MetricPtr inner, ParseMetricUnary());
    if (!negate) return inner;
    auto node = std::make_shared<MetricExpr>();
    if (inner->kind == MetricExpr::Kind::kLiteral) {
      node->kind = MetricExpr::Kind::kLiteral;
      node->literal = -inner->literal;
    } else {
      auto minus_one = std::make_shared<MetricExpr>();
      minus_one->literal = -1;
      node->kind = MetricExpr::Kind::kBinary;
      node->binary_op = BinaryOp::kMul;
      node->lhs = std::move(minus_one);
      node->rhs = std::move(inner);
    }
    return MetricPtr(std::move(node));
  }
  return ParseMetricPrimary();
}

Result<MetricPtr> Parser::ParseMetricPrimary() {
  if (Is(T::kNumber)) {
    auto node = std::make_shared<MetricExpr>();
    node->literal = Cur().number;
    Advance();
    return MetricPtr(std::move(node));
  }
  if (Is(T::kLParen)) {
    Advance();
    ASSIGN_OR_RETURN(MetricPtr inner, ParseMetric(0));
    RETURN_IF_ERROR(Expect(T::kRParen, "\")\""));
    return inner;
  }
  if (Is(T::kLBrace)) {
    return ErrorAt(Cur().offset,
                   "a log query cannot be used in a metric expression; wrap it in "
                   "a range aggregation such as count_over_time({...}[5m])");
  }
  if (!Is(T::kIdent)) return Unexpected("a metric expression");
  std::string name = Cur().text;
  size_t at = Cur().offset;
  if (name == "vector" && PeekAt(1).type == T::kLParen) {
    Advance();
    Advance();
    auto node = std::make_shared<MetricExpr>();
    node->kind = MetricExpr::Kind::kVector;
    bool negative = Is(T::kSub);
    if (negative) Advance();
    if (!Is(T::kNumber)) return Unexpected("a number in vector(...)");
    node->literal = negative ? -Cur().number : Cur().number;
    Advance();
    RETURN_IF_ERROR(Expect(T::kRParen, "\")\" closing vector("));
    return MetricPtr(std::move(node));
  }
  if (auto op = RangeOpFromName(name)) return ParseRangeAggregation(*op);
  if (auto op = VectorOpFromName(name)) return ParseVectorAggregation(*op);
  return ErrorAt(at, "unknown function \"" + name + "\"");
}

Result<std::optional<Grouping>> Parser::ParseGrouping() {
  if (!IsIdent("by") && !IsIdent("without")) return std::optional<Grouping>();
  Grouping g;
  g.without = Cur().text == "without";
  Advance();
  RETURN_IF_ERROR(Expect(T::kLParen, "\"(\" after " + std::string(g.without ? "without" : "by")));
  while (!Is(T::kRParen)) {
    ASSIGN_OR_RETURN(std::string label, ExpectIdent("a label name in the grouping"));
    g.labels.push_back(std::move(label));
    if (Is(T::kComma)) {
      Advance();
    } else if (!Is(T::kRParen)) {
      return Unexpected("\",\" or \")\" in the grouping");
    }
  }
  Advance();
  return std::optional<Grouping>(std::move(g));
}

Result<MetricPtr> Parser::ParseRangeAggregation(RangeOp op) {
  size_t at = Cur().offset;
  std::string name = Cur().text;
  Advance();
  auto node = std::make_shared<MetricExpr>();
  node->kind = MetricExpr::Kind::kRangeAggregation;
  node->range_op = op;
  RETURN_IF_ERROR(Expect(T::kLParen, "\"(\" after " + name));
  if (op == RangeOp::kQuantileOverTime) {
    if (!Is(T::kNumber)) return Unexpected("the quantile (a number) as first argument of " + name);
    node->quantile = Cur().number;
    Advance();
    RETURN_IF_ERROR(Expect(T::kComma, "\",\" after the quantile"));
  }
  if (!Is(T::kLBrace)) return Unexpected("a log query such as {app=\"x\"} in " + name);
  ASSIGN_OR_RETURN(node->range.query, ParseLogQuery(&node->range));
  if (Is(T::kLBracket)) RETURN_IF_ERROR(ParseRange(&node->range));
  if (node->range.range_ns == 0) {
    return ErrorAt(Cur().offset, name + " needs a range such as [5m] after the log query, got " +
                                     Describe(Cur()));
  }
  if (IsIdent("offset")) {
    Advance();
    if (!Is(T::kDuration)) return Unexpected("a duration after offset");
    node->range.offset_ns = Cur().duration;
    Advance();
  }
  RETURN_IF_ERROR(Expect(T::kRParen, "\")\" closing " + name));
  ASSIGN_OR_RETURN(node->grouping, ParseGrouping());
  bool unwrapped = node->range.unwrap.has_value();
  if (IsUnwrappedOp(op) && !unwrapped) {
    return ErrorAt(at, name + " needs an unwrapped label, e.g. | unwrap duration_ms");
  }
  if (!IsUnwrappedOp(op) && unwrapped && op != RangeOp::kRate) {
    return ErrorAt(at, name + " does not take | unwrap");
  }
  if (node->grouping && !unwrapped) {
    return ErrorAt(at,
                   "grouping is only allowed on unwrapped range aggregations; use sum by "
                   "(...) (" +
                       name + "(...)) instead");
  }
  return MetricPtr(std::move(node));
}

Result<MetricPtr> Parser::ParseVectorAggregation(VectorOp op) {
  std::string name = Cur().text;
  Advance();
  auto node = std::make_shared<MetricExpr>();
  node->kind = MetricExpr::Kind::kVectorAggregation;
  node->vector_op = op;
  ASSIGN_OR_RETURN(node->grouping, ParseGrouping());
  RETURN_IF_ERROR(Expect(T::kLParen, "\"(\" after " + name));
  if (op == VectorOp::kTopK || op == VectorOp::kBottomK) {
    if (!Is(T::kNumber) || Cur().number < 1 || Cur().number != std::floor(Cur().number) ||
        Cur().number > 1e6) {
      return Unexpected("a positive integer as first argument of " + name);
    }
    node->k = static_cast<int64_t>(Cur().number);
    Advance();
    RETURN_IF_ERROR(Expect(T::kComma, "\",\" after the parameter of " + name));
  }
  ASSIGN_OR_RETURN(node->inner, ParseMetric(0));
  RETURN_IF_ERROR(Expect(T::kRParen, "\")\" closing " + name));
  if (IsIdent("by") || IsIdent("without")) {
    if (node->grouping) return ErrorAt(Cur().offset, "the grouping is given twice");
    ASSIGN_OR_RETURN(node->grouping, ParseGrouping());
  }
  return MetricPtr(std::move(node));
}

std::string_view text_;
std::vector<Token> tokens_;
size_t pos_ = 0;
int depth_ = 0;

}  // namespace quartet::logql::parser_internal
