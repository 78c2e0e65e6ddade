#include "server/query/logql/ast.h"

#include <re2/re2.h>

#include <cstring>

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
    case Type::kEq: return v == value;
    case Type::kNeq: return v != value;
    case Type::kRe: return RE2::FullMatch(v, *re);
    case Type::kNre: return !RE2::FullMatch(v, *re);
  }
  return false;
}

bool LineFilter::Matches(std::string_view line) const {
  bool any = false;
  if (op == Op::kContains || op == Op::kNotContains) {
    for (const std::string& v : values) {
      // glibc's memmem is a two-way search with a vectorised first-pair scan:
      // linear time and no allocation, faster than string_view::find on text
      // where the needle's first byte is common (JSON quotes, spaces).
      if (v.empty() || memmem(line.data(), line.size(), v.data(), v.size()) != nullptr) {
        any = true;
        break;
      }
    }
    return op == Op::kContains ? any : !any;
  }
  for (const auto& re : regexes) {
    if (RE2::PartialMatch(line, *re)) {
      any = true;
      break;
    }
  }
  return op == Op::kRegex ? any : !any;
}

std::string_view RangeOpName(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime: return "count_over_time";
    case RangeOp::kRate: return "rate";
    case RangeOp::kBytesOverTime: return "bytes_over_time";
    case RangeOp::kBytesRate: return "bytes_rate";
    case RangeOp::kSumOverTime: return "sum_over_time";
    case RangeOp::kAvgOverTime: return "avg_over_time";
    case RangeOp::kMaxOverTime: return "max_over_time";
    case RangeOp::kMinOverTime: return "min_over_time";
    case RangeOp::kFirstOverTime: return "first_over_time";
    case RangeOp::kLastOverTime: return "last_over_time";
    case RangeOp::kStddevOverTime: return "stddev_over_time";
    case RangeOp::kStdvarOverTime: return "stdvar_over_time";
    case RangeOp::kQuantileOverTime: return "quantile_over_time";
    case RangeOp::kAbsentOverTime: return "absent_over_time";
  }
  return "?";
}

std::string_view VectorOpName(VectorOp op) {
  switch (op) {
    case VectorOp::kSum: return "sum";
    case VectorOp::kAvg: return "avg";
    case VectorOp::kMax: return "max";
    case VectorOp::kMin: return "min";
    case VectorOp::kCount: return "count";
    case VectorOp::kStddev: return "stddev";
    case VectorOp::kStdvar: return "stdvar";
    case VectorOp::kTopK: return "topk";
    case VectorOp::kBottomK: return "bottomk";
  }
  return "?";
}

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "^";
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLte: return "<=";
  }
  return "?";
}

}  // namespace quartet::logql
