// ToString: the canonical text of a LogQL tree (see ast.h).
#include "server/query/logql/ast.h"
#include "server/query/logql/literals.h"

namespace quartet::logql {
namespace {

std::string_view MatchOp(LabelMatcher::Type t) {
  switch (t) {
    case LabelMatcher::Type::kEq:
      return "=";
    case LabelMatcher::Type::kNeq:
      return "!=";
    case LabelMatcher::Type::kRe:
      return "=~";
    case LabelMatcher::Type::kNre:
      return "!~";
  }
  return "?";
}

std::string_view CmpOp(LabelFilterExpr::Cmp c) {
  switch (c) {
    case LabelFilterExpr::Cmp::kEq:
      return "==";
    case LabelFilterExpr::Cmp::kNeq:
      return "!=";
    case LabelFilterExpr::Cmp::kGt:
      return ">";
    case LabelFilterExpr::Cmp::kGte:
      return ">=";
    case LabelFilterExpr::Cmp::kLt:
      return "<";
    case LabelFilterExpr::Cmp::kLte:
      return "<=";
  }
  return "?";
}

void PrintMatcher(const LabelMatcher& m, std::string* out) {
  *out += m.name;
  *out += MatchOp(m.type);
  *out += Quote(m.value);
}

bool IsBinary(const LabelFilterExpr& e) {
  return e.kind == LabelFilterExpr::Kind::kAnd || e.kind == LabelFilterExpr::Kind::kOr;
}

void PrintFilter(const LabelFilterExpr& e, std::string* out) {
  if (IsBinary(e)) {
    // Left-associative; `and` binds tighter than `or`. Parenthesise a left
    // child of another kind and any binary right child.
    bool paren_left = IsBinary(*e.left) && e.left->kind != e.kind;
    bool paren_right = IsBinary(*e.right);
    if (paren_left) *out += '(';
    PrintFilter(*e.left, out);
    if (paren_left) *out += ')';
    *out += e.kind == LabelFilterExpr::Kind::kAnd ? " and " : " or ";
    if (paren_right) *out += '(';
    PrintFilter(*e.right, out);
    if (paren_right) *out += ')';
    return;
  }
  if (e.kind == LabelFilterExpr::Kind::kString) {
    PrintMatcher(e.matcher, out);
    return;
  }
  *out += e.name;
  *out += ' ';
  *out += CmpOp(e.cmp);
  *out += ' ';
  *out += e.kind == LabelFilterExpr::Kind::kNumber ? FormatNumber(e.value) : e.literal;
}

struct StagePrinter {
  std::string* out;
  void operator()(const LineFilter& f) const {
    static constexpr std::string_view kOps[] = {" |= ", " != ", " |~ ", " !~ "};
    *out += kOps[static_cast<int>(f.op)];
    for (size_t i = 0; i < f.values.size(); ++i) {
      if (i > 0) *out += " or ";
      *out += Quote(f.values[i]);
    }
  }
  void operator()(const JsonStage& s) const {
    *out += " | json";
    for (size_t i = 0; i < s.extractions.size(); ++i) {
      *out += i == 0 ? " " : ", ";
      *out += s.extractions[i].label + "=" + Quote(s.extractions[i].path);
    }
  }
  void operator()(const LogfmtStage& s) const {
    *out += " | logfmt";
    for (size_t i = 0; i < s.extractions.size(); ++i) {
      *out += i == 0 ? " " : ", ";
      *out += s.extractions[i].label + "=" + Quote(s.extractions[i].key);
    }
  }
  void operator()(const PatternStage& s) const { *out += " | pattern " + Quote(s.pattern); }
  void operator()(const RegexpStage& s) const { *out += " | regexp " + Quote(s.regex); }
  void operator()(const LabelFilterStage& s) const {
    *out += " | ";
    PrintFilter(*s.expr, out);
  }
  void operator()(const LineFormatStage& s) const { *out += " | line_format " + Quote(s.text); }
  void operator()(const LabelFormatStage& s) const {
    *out += " | label_format ";
    for (size_t i = 0; i < s.items.size(); ++i) {
      if (i > 0) *out += ", ";
      *out +=
          s.items[i].dst + "=" + (s.items[i].is_template ? Quote(s.items[i].src) : s.items[i].src);
    }
  }
  void operator()(const DecolorizeStage&) const { *out += " | decolorize"; }
  void operator()(const DropKeepStage& s) const {
    *out += s.keep ? " | keep " : " | drop ";
    for (size_t i = 0; i < s.items.size(); ++i) {
      if (i > 0) *out += ", ";
      if (s.items[i].matcher) {
        PrintMatcher(*s.items[i].matcher, out);
      } else {
        *out += s.items[i].name;
      }
    }
  }
};

void PrintLogQuery(const LogQuery& q, std::string* out) {
  *out += '{';
  for (size_t i = 0; i < q.selector.size(); ++i) {
    if (i > 0) *out += ", ";
    PrintMatcher(q.selector[i], out);
  }
  *out += '}';
  for (const Stage& s : q.pipeline) std::visit(StagePrinter{out}, s);
}

void PrintGrouping(const Grouping& g, std::string* out) {
  *out += g.without ? "without (" : "by (";
  for (size_t i = 0; i < g.labels.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += g.labels[i];
  }
  *out += ')';
}

void PrintMetric(const MetricExpr& e, std::string* out);

void PrintOperand(const MetricExpr& child, const MetricExpr& parent, bool right, std::string* out) {
  bool paren = false;
  if (child.kind == MetricExpr::Kind::kBinary) {
    int pc = BinaryOpPrecedence(child.binary_op), pp = BinaryOpPrecedence(parent.binary_op);
    bool right_assoc = parent.binary_op == BinaryOp::kPow;
    paren = pc < pp || (pc == pp && right != right_assoc);
  } else if (child.kind == MetricExpr::Kind::kLiteral && child.literal < 0 && !right) {
    paren = true;  // (-1) ^ 2 is not -(1 ^ 2)
  }
  if (paren) *out += '(';
  PrintMetric(child, out);
  if (paren) *out += ')';
}

void PrintMetric(const MetricExpr& e, std::string* out) {
  switch (e.kind) {
    case MetricExpr::Kind::kLiteral:
      *out += FormatNumber(e.literal);
      return;
    case MetricExpr::Kind::kVector:
      *out += "vector(" + FormatNumber(e.literal) + ")";
      return;
    case MetricExpr::Kind::kRangeAggregation: {
      *out += RangeOpName(e.range_op);
      *out += '(';
      if (e.range_op == RangeOp::kQuantileOverTime) *out += FormatNumber(e.quantile) + ", ";
      PrintLogQuery(e.range.query, out);
      if (const auto& u = e.range.unwrap) {
        *out += " | unwrap ";
        static constexpr std::string_view kConv[] = {"", "duration", "duration_seconds", "bytes"};
        if (u->conv == Unwrap::Conv::kNone) {
          *out += u->label;
        } else {
          *out += std::string(kConv[static_cast<int>(u->conv)]) + "(" + u->label + ")";
        }
        for (const auto& f : u->post_filters) {
          *out += " | ";
          PrintFilter(*f, out);
        }
      }
      *out += " [" + FormatDuration(e.range.range_ns) + "]";
      if (e.range.offset_ns != 0) *out += " offset " + FormatDuration(e.range.offset_ns);
      *out += ')';
      if (e.grouping) {
        *out += ' ';
        PrintGrouping(*e.grouping, out);
      }
      return;
    }
    case MetricExpr::Kind::kVectorAggregation:
      *out += VectorOpName(e.vector_op);
      if (e.grouping) {
        *out += ' ';
        PrintGrouping(*e.grouping, out);
        *out += ' ';
      }
      *out += '(';
      if (e.vector_op == VectorOp::kTopK || e.vector_op == VectorOp::kBottomK) {
        *out += std::to_string(e.k) + ", ";
      }
      PrintMetric(*e.inner, out);
      *out += ')';
      return;
    case MetricExpr::Kind::kBinary:
      PrintOperand(*e.lhs, e, false, out);
      *out += ' ';
      *out += BinaryOpName(e.binary_op);
      if (e.return_bool) *out += " bool";
      *out += ' ';
      PrintOperand(*e.rhs, e, true, out);
      return;
  }
}

}  // namespace

std::string ToString(const LogQuery& query) {
  std::string out;
  PrintLogQuery(query, &out);
  return out;
}

std::string ToString(const MetricExpr& expr) {
  std::string out;
  PrintMetric(expr, &out);
  return out;
}

std::string ToString(const LabelFilterExpr& expr) {
  std::string out;
  PrintFilter(expr, &out);
  return out;
}

std::string ToString(const Expr& expr) {
  if (const auto* q = std::get_if<LogQuery>(&expr)) return ToString(*q);
  return ToString(*std::get<MetricPtr>(expr));
}

}  // namespace quartet::logql
