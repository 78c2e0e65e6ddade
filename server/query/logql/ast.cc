#include "server/query/logql/ast.h"

#include <re2/re2.h>

namespace quartet::logql {

Result<LabelMatcher> LabelMatcher::Make(Type type, std::string name, std::string value) {
  LabelMatcher m;
  m.type = type;
  m.name = std::move(name);
  m.value = std::move(value);
  if (type == Type::kRe || type == Type::kNre) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);
    auto re = std::make_shared<RE2>("^(?:" + m.value + ")$", options);
    if (!re->ok()) {
      return Status::InvalidArgument("invalid regex " + m.value + ": " + re->error());
    }
    m.re = std::move(re);
  }
  return m;
}

bool LabelMatcher::Matches(std::string_view v) const {
  switch (type) {
    case Type::kEq:
      return v == value;
    case Type::kNeq:
      return v != value;
    case Type::kRe:
      return RE2::FullMatch(v, *re);
    case Type::kNre:
      return !RE2::FullMatch(v, *re);
  }
  return false;
}

namespace {

// Splits "a|b|c" into literals when the regex has no other syntax.
bool LiteralAlternatives(std::string_view re, std::vector<std::string>* out) {
  static constexpr std::string_view kMeta = "\\.+*?()[]{}^$";
  if (re.find_first_of(kMeta) != std::string_view::npos) return false;
  size_t start = 0;
  while (true) {
    size_t bar = re.find('|', start);
    out->emplace_back(re.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) return true;
    start = bar + 1;
  }
}

}  // namespace

Result<LineFilter> LineFilter::Make(Op op, std::vector<std::string> values) {
  LineFilter f;
  f.op = op;
  f.values = std::move(values);
  for (const std::string& v : f.values) {
    Compiled c;
    std::vector<std::string> literals;
    if (op == Op::kContains || op == Op::kNotContains) {
      c.any_of.emplace_back(v);
    } else if (LiteralAlternatives(v, &literals)) {
      for (std::string& l : literals) c.any_of.emplace_back(std::move(l));
    } else {
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(v, options);
      if (!re->ok()) return Status::InvalidArgument("invalid regex \"" + v + "\": " + re->error());
      c.re = std::move(re);
    }
    f.compiled.push_back(std::move(c));
  }
  return f;
}

bool LineFilter::Matches(std::string_view line) const {
  bool any = false;
  for (size_t i = 0; i < compiled.size() && !any; ++i) {
    const Compiled& c = compiled[i];
    if (c.re) {
      any = RE2::PartialMatch(line, *c.re);
      continue;
    }
    for (const SubstringSearcher& s : c.any_of) {
      if (s.Contains(line)) {
        any = true;
        break;
      }
    }
  }
  return (op == Op::kContains || op == Op::kRegex) ? any : !any;
}

std::string_view RangeOpName(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime:
      return "count_over_time";
    case RangeOp::kRate:
      return "rate";
    case RangeOp::kBytesOverTime:
      return "bytes_over_time";
    case RangeOp::kBytesRate:
      return "bytes_rate";
    case RangeOp::kSumOverTime:
      return "sum_over_time";
    case RangeOp::kAvgOverTime:
      return "avg_over_time";
    case RangeOp::kMaxOverTime:
      return "max_over_time";
    case RangeOp::kMinOverTime:
      return "min_over_time";
    case RangeOp::kFirstOverTime:
      return "first_over_time";
    case RangeOp::kLastOverTime:
      return "last_over_time";
    case RangeOp::kStddevOverTime:
      return "stddev_over_time";
    case RangeOp::kStdvarOverTime:
      return "stdvar_over_time";
    case RangeOp::kQuantileOverTime:
      return "quantile_over_time";
    case RangeOp::kAbsentOverTime:
      return "absent_over_time";
  }
  return "?";
}

std::string_view VectorOpName(VectorOp op) {
  switch (op) {
    case VectorOp::kSum:
      return "sum";
    case VectorOp::kAvg:
      return "avg";
    case VectorOp::kMax:
      return "max";
    case VectorOp::kMin:
      return "min";
    case VectorOp::kCount:
      return "count";
    case VectorOp::kStddev:
      return "stddev";
    case VectorOp::kStdvar:
      return "stdvar";
    case VectorOp::kTopK:
      return "topk";
    case VectorOp::kBottomK:
      return "bottomk";
  }
  return "?";
}

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

int BinaryOpPrecedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::kPow:
      return 6;
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
      return 5;
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      return 4;
    case BinaryOp::kOr:
      return 1;
    case BinaryOp::kAnd:
    case BinaryOp::kUnless:
      return 2;
    default:
      return 3;
  }
}

}  // namespace quartet::logql
