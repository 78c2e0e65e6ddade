#include "server/query/promql/parser.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "server/query/promql/format.h"
#include "server/query/promql/functions.h"
#include "server/query/promql/lexer.h"

namespace quartet::promql {
namespace {

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

std::optional<AggOp> AggregatorOf(std::string_view w) {
  static constexpr std::pair<std::string_view, AggOp> kAggs[] = {
      {"sum", AggOp::kSum},
      {"avg", AggOp::kAvg},
      {"count", AggOp::kCount},
      {"min", AggOp::kMin},
      {"max", AggOp::kMax},
      {"group", AggOp::kGroup},
      {"stddev", AggOp::kStddev},
      {"stdvar", AggOp::kStdvar},
      {"topk", AggOp::kTopk},
      {"bottomk", AggOp::kBottomk},
      {"count_values", AggOp::kCountValues},
      {"quantile", AggOp::kQuantile}};
  for (const auto& [name, op] : kAggs) {
    if (EqualFold(w, name)) return op;
  }
  return std::nullopt;
}

bool IsKeyword(std::string_view w) {
  static constexpr std::string_view kWords[] = {"and",      "or",         "unless",      "atan2",
                                                "offset",   "by",         "without",     "on",
                                                "ignoring", "group_left", "group_right", "bool"};
  for (std::string_view k : kWords) {
    if (EqualFold(w, k)) return true;
  }
  return AggregatorOf(w).has_value();
}

struct BinOpInfo {
  BinOp op;
  int prec;
};

std::optional<BinOpInfo> BinOpOf(const Token& t) {
  switch (t.kind) {
    case Tok::kAdd:
      return BinOpInfo{BinOp::kAdd, 4};
    case Tok::kSub:
      return BinOpInfo{BinOp::kSub, 4};
    case Tok::kMul:
      return BinOpInfo{BinOp::kMul, 5};
    case Tok::kDiv:
      return BinOpInfo{BinOp::kDiv, 5};
    case Tok::kMod:
      return BinOpInfo{BinOp::kMod, 5};
    case Tok::kPow:
      return BinOpInfo{BinOp::kPow, 6};
    case Tok::kEqlc:
      return BinOpInfo{BinOp::kEql, 3};
    case Tok::kNeq:
      return BinOpInfo{BinOp::kNeq, 3};
    case Tok::kGtr:
      return BinOpInfo{BinOp::kGtr, 3};
    case Tok::kLss:
      return BinOpInfo{BinOp::kLss, 3};
    case Tok::kGte:
      return BinOpInfo{BinOp::kGte, 3};
    case Tok::kLte:
      return BinOpInfo{BinOp::kLte, 3};
    case Tok::kIdentifier:
      if (EqualFold(t.text, "and")) return BinOpInfo{BinOp::kAnd, 2};
      if (EqualFold(t.text, "unless")) return BinOpInfo{BinOp::kUnless, 2};
      if (EqualFold(t.text, "or")) return BinOpInfo{BinOp::kOr, 1};
      if (EqualFold(t.text, "atan2")) return BinOpInfo{BinOp::kAtan2, 5};
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

class Parser {
 public:
  Parser(std::string_view query, std::vector<Token> tokens)
      : query_(query), toks_(std::move(tokens)) {}

  Result<ExprPtr> ParseAll() {
    ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(0));
    if (Peek().kind != Tok::kEof) return Unexpected(Peek(), "");
    return e;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool IsWord(const Token& t, std::string_view w) const {
    return t.kind == Tok::kIdentifier && EqualFold(t.text, w);
  }

  Status Error(size_t pos, const std::string& msg) const {
    return Status::InvalidArgument(PositionString(query_, pos) + ": parse error: " + msg);
  }
  Status Unexpected(const Token& t, std::string_view context) const {
    std::string what;
    if (t.kind == Tok::kEof) {
      what = "unexpected end of input";
    } else if (t.kind == Tok::kIdentifier && IsKeyword(t.text)) {
      what = "unexpected <" + std::string(t.text) + ">";
    } else if (t.kind == Tok::kIdentifier) {
      what = "unexpected identifier \"" + std::string(t.text) + "\"";
    } else if (t.kind == Tok::kNumber) {
      what = "unexpected number \"" + std::string(t.text) + "\"";
    } else if (t.kind == Tok::kDuration) {
      what = "unexpected duration \"" + std::string(t.text) + "\"";
    } else if (t.kind == Tok::kString) {
      what = "unexpected string " + std::string(t.text);
    } else {
      what = "unexpected \"" + std::string(t.text) + "\"";
    }
    if (!context.empty()) what += " " + std::string(context);
    return Error(t.pos, what);
  }
  Status Expect(Tok kind, std::string_view context) {
    if (Peek().kind != kind) return Unexpected(Peek(), context);
    Next();
    return Status::Ok();
  }

  Result<ExprPtr> ParseExpr(int min_prec);
  Result<ExprPtr> ParseUnary();
  Result<ExprPtr> ParsePostfix();
  Result<ExprPtr> ParsePrimary();
  Result<ExprPtr> ParseSelector(std::string name, size_t pos);
  Result<ExprPtr> ParseAggregate(AggOp op, size_t pos);
  Result<ExprPtr> ParseCall(const FunctionInfo* f, size_t pos);
  Result<std::vector<ExprPtr>> ParseArgs(std::string_view context);
  Result<std::vector<std::string>> ParseLabelList();
  Result<int64_t> ParseDuration(std::string_view context);
  Status CheckBinary(Expr* e, size_t pos);

  std::string_view query_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
};

Result<int64_t> Parser::ParseDuration(std::string_view context) {
  const Token& t = Peek();
  if (t.kind != Tok::kDuration) return Unexpected(t, context);
  Next();
  std::optional<int64_t> ms = ParseDurationMs(t.text);
  if (!ms) return Error(t.pos, "not a valid duration string: \"" + std::string(t.text) + "\"");
  return *ms;
}

Result<ExprPtr> Parser::ParseExpr(int min_prec) {
  if (++depth_ > kMaxParseDepth) {
    return Error(Peek().pos, "expression nested too deeply");
  }
  ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
  while (true) {
    std::optional<BinOpInfo> info = BinOpOf(Peek());
    if (!info || info->prec < min_prec) break;
    size_t op_pos = Next().pos;
    auto e = std::make_unique<Expr>(Expr{ExprKind::kBinary});
    e->op = info->op;
    if (IsWord(Peek(), "bool")) {
      Next();
      e->return_bool = true;
    }
    VectorMatching vm;
    if (IsWord(Peek(), "on") || IsWord(Peek(), "ignoring")) {
      vm.on = IsWord(Next(), "on");
      ASSIGN_OR_RETURN(vm.labels, ParseLabelList());
      if (IsWord(Peek(), "group_left") || IsWord(Peek(), "group_right")) {
        vm.card = IsWord(Next(), "group_left") ? Cardinality::kManyToOne : Cardinality::kOneToMany;
        if (Peek().kind == Tok::kLParen) {
          ASSIGN_OR_RETURN(vm.include, ParseLabelList());
        }
      }
    }
    int next_prec = info->op == BinOp::kPow ? info->prec : info->prec + 1;
    ASSIGN_OR_RETURN(e->rhs, ParseExpr(next_prec));
    e->lhs = std::move(lhs);
    e->matching = std::move(vm);
    RETURN_IF_ERROR(CheckBinary(e.get(), op_pos));
    lhs = std::move(e);
  }
  --depth_;
  return lhs;
}

Status Parser::CheckBinary(Expr* e, size_t pos) {
  ValueType lt = e->lhs->type(), rt = e->rhs->type();
  std::string op(BinOpString(e->op));
  if (e->return_bool && !IsComparison(e->op)) {
    return Error(pos, "bool modifier can only be used on comparison operators");
  }
  if (IsComparison(e->op) && !e->return_bool && lt == ValueType::kScalar &&
      rt == ValueType::kScalar) {
    return Error(pos, "comparisons between scalars must use BOOL modifier");
  }
  VectorMatching& vm = *e->matching;
  if (IsSetOp(e->op) && vm.card == Cardinality::kOneToOne) vm.card = Cardinality::kManyToMany;
  if (vm.on) {
    for (const std::string& l : vm.labels) {
      if (std::find(vm.include.begin(), vm.include.end(), l) != vm.include.end()) {
        return Error(pos, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
      }
    }
  }
  for (ValueType t : {lt, rt}) {
    if (t != ValueType::kScalar && t != ValueType::kVector) {
      return Error(pos, "binary expression must contain only scalar and instant vector types");
    }
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    if (!vm.labels.empty())
      return Error(pos, "vector matching only allowed between instant vectors");
    e->matching.reset();
  } else if (IsSetOp(e->op)) {
    if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
      return Error(pos, "no grouping allowed for \"" + op + "\" operation");
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(e->op)) {
    return Error(pos, "set operator \"" + op + "\" not allowed in binary scalar expression");
  }
  return Status::Ok();
}

Result<ExprPtr> Parser::ParseUnary() {
  if (Peek().kind != Tok::kAdd && Peek().kind != Tok::kSub) return ParsePostfix();
  const Token& op = Next();
  if (++depth_ > kMaxParseDepth) return Error(op.pos, "expression nested too deeply");
  ASSIGN_OR_RETURN(ExprPtr operand, ParseExpr(6));
  --depth_;
  if (operand->kind == ExprKind::kNumber) {
    if (op.kind == Tok::kSub) operand->number = -operand->number;
    return operand;
  }
  ValueType t = operand->type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return Error(
        op.pos,
        "unary expression only allowed on expressions of type scalar or instant vector, got \"" +
            std::string(DocumentedType(t)) + "\"");
  }
  auto e = std::make_unique<Expr>(Expr{ExprKind::kUnary});
  e->op = op.kind == Tok::kSub ? BinOp::kSub : BinOp::kAdd;
  e->lhs = std::move(operand);
  return e;
}

Result<ExprPtr> Parser::ParsePostfix() {
  ASSIGN_OR_RETURN(ExprPtr e, ParsePrimary());
  while (true) {
    const Token& t = Peek();
    if (t.kind == Tok::kLBracket) {
      Next();
      ASSIGN_OR_RETURN(int64_t range, ParseDuration("in range or subquery"));
      if (Peek().kind == Tok::kColon) {
        Next();
        int64_t step = 0;
        if (Peek().kind == Tok::kDuration) {
          ASSIGN_OR_RETURN(step, ParseDuration(""));
        }
        RETURN_IF_ERROR(Expect(Tok::kRBracket, "in subquery selector"));
        if (e->type() != ValueType::kVector) {
          return Error(t.pos, "subquery is only allowed on instant vector, got " +
                                  std::string(DocumentedType(e->type())) + " instead");
        }
        auto sq = std::make_unique<Expr>(Expr{ExprKind::kSubquery});
        sq->range_ms = range;
        sq->step_ms = step;
        sq->lhs = std::move(e);
        e = std::move(sq);
        continue;
      }
      RETURN_IF_ERROR(Expect(Tok::kRBracket, "in range selector"));
      if (e->kind != ExprKind::kVectorSelector) {
        return Error(t.pos, "ranges only allowed for vector selectors");
      }
      if (e->offset_ms != 0) return Error(t.pos, "no offset modifiers allowed before range");
      if (e->at != AtKind::kNone) return Error(t.pos, "no @ modifiers allowed before range");
      e->kind = ExprKind::kMatrixSelector;
      e->range_ms = range;
      continue;
    }
    bool selector_like = e->kind == ExprKind::kVectorSelector ||
                         e->kind == ExprKind::kMatrixSelector || e->kind == ExprKind::kSubquery;
    if (IsWord(t, "offset")) {
      Next();
      bool negative = false;
      if (Peek().kind == Tok::kSub) {
        Next();
        negative = true;
      }
      ASSIGN_OR_RETURN(int64_t off, ParseDuration("in offset"));
      if (!selector_like) {
        return Error(t.pos,
                     "offset modifier must be preceded by an instant vector selector or range "
                     "vector selector or a subquery");
      }
      if (e->offset_ms != 0) return Error(t.pos, "offset may not be set multiple times");
      e->offset_ms = negative ? -off : off;
      continue;
    }
    if (t.kind == Tok::kAt) {
      Next();
      AtKind kind = AtKind::kTimestamp;
      int64_t at_ms = 0;
      const Token& v = Peek();
      if (IsWord(v, "start") || IsWord(v, "end")) {
        kind = IsWord(Next(), "start") ? AtKind::kStart : AtKind::kEnd;
        RETURN_IF_ERROR(Expect(Tok::kLParen, "in @"));
        RETURN_IF_ERROR(Expect(Tok::kRParen, "in @"));
      } else {
        bool negative = false;
        if (Peek().kind == Tok::kAdd || Peek().kind == Tok::kSub)
          negative = Next().kind == Tok::kSub;
        const Token& num = Peek();
        double ts;
        if (num.kind == Tok::kNumber) {
          Next();
          std::optional<int64_t> i = GoParseInt(num.text);
          std::optional<double> f =
              i ? std::optional<double>(static_cast<double>(*i)) : GoParseFloat(num.text);
          if (!f) return Error(num.pos, "error parsing number: " + std::string(num.text));
          ts = *f;
        } else if (num.kind == Tok::kIdentifier &&
                   (EqualFold(num.text, "inf") || EqualFold(num.text, "nan"))) {
          Next();
          ts = EqualFold(num.text, "inf") ? INFINITY : NAN;
        } else {
          return Unexpected(num, "in @");
        }
        if (negative) ts = -ts;
        if (!std::isfinite(ts) || ts >= 9.2233720368547758e18 || ts <= -9.2233720368547758e18) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%f", ts);
          return Error(v.pos, std::string("timestamp out of bounds for @ modifier: ") + buf);
        }
        double ms = std::round(ts * 1000.0);
        if (ms >= 9.2233720368547758e18 || ms <= -9.2233720368547758e18) {
          return Error(v.pos, "timestamp out of bounds for @ modifier");
        }
        at_ms = static_cast<int64_t>(ms);
      }
      if (!selector_like) {
        return Error(t.pos,
                     "@ modifier must be preceded by an instant vector selector or range vector "
                     "selector or a subquery");
      }
      if (e->at != AtKind::kNone)
        return Error(t.pos, "@ <timestamp> may not be set multiple times");
      e->at = kind;
      e->at_ms = at_ms;
      continue;
    }
    return e;
  }
}

Result<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kNumber: {
      Next();
      auto e = std::make_unique<Expr>(Expr{ExprKind::kNumber});
      if (std::optional<int64_t> i = GoParseInt(t.text)) {
        e->number = static_cast<double>(*i);
      } else if (std::optional<double> f = GoParseFloat(t.text)) {
        e->number = *f;
      } else {
        return Error(t.pos, "error parsing number: " + std::string(t.text));
      }
      return e;
    }
    case Tok::kString: {
      Next();
      std::optional<std::string> s = GoUnquote(t.text);
      if (!s) return Error(t.pos, "invalid syntax in string " + std::string(t.text));
      auto e = std::make_unique<Expr>(Expr{ExprKind::kString});
      e->str = std::move(*s);
      return e;
    }
    case Tok::kLParen: {
      Next();
      ASSIGN_OR_RETURN(ExprPtr inner, ParseExpr(0));
      RETURN_IF_ERROR(Expect(Tok::kRParen, "in paren expression"));
      auto e = std::make_unique<Expr>(Expr{ExprKind::kParen});
      e->lhs = std::move(inner);
      return e;
    }
    case Tok::kLBrace:
      return ParseSelector("", t.pos);
    case Tok::kIdentifier: {
      if (std::optional<AggOp> agg = AggregatorOf(t.text)) {
        Next();
        return ParseAggregate(*agg, t.pos);
      }
      if (IsKeyword(t.text)) return Unexpected(t, "");
      if (EqualFold(t.text, "inf") || EqualFold(t.text, "nan")) {
        Next();
        auto e = std::make_unique<Expr>(Expr{ExprKind::kNumber});
        e->number = EqualFold(t.text, "inf") ? INFINITY : NAN;
        return e;
      }
      Next();
      if (Peek().kind == Tok::kLParen && t.text.find(':') == std::string_view::npos) {
        const FunctionInfo* f = LookupFunction(t.text);
        if (f == nullptr) {
          return Error(t.pos, "unknown function with name \"" + std::string(t.text) + "\"");
        }
        return ParseCall(f, t.pos);
      }
      return ParseSelector(std::string(t.text), t.pos);
    }
    default:
      return Unexpected(t, "");
  }
}

Result<ExprPtr> Parser::ParseSelector(std::string name, size_t pos) {
  auto e = std::make_unique<Expr>(Expr{ExprKind::kVectorSelector});
  e->metric_name = name;
  if (Peek().kind == Tok::kLBrace) {
    Next();
    while (Peek().kind != Tok::kRBrace) {
      const Token& label = Peek();
      if (label.kind != Tok::kIdentifier)
        return Unexpected(label, "in label matching, expected label");
      Next();
      Matcher::Type type;
      switch (Peek().kind) {
        case Tok::kAssign:
          type = Matcher::Type::kEqual;
          break;
        case Tok::kNeq:
          type = Matcher::Type::kNotEqual;
          break;
        case Tok::kEqlRegex:
          type = Matcher::Type::kRegex;
          break;
        case Tok::kNeqRegex:
          type = Matcher::Type::kNotRegex;
          break;
        default:
          return Unexpected(Peek(), "in label matching, expected label matching operator");
      }
      Next();
      const Token& value = Peek();
      if (value.kind != Tok::kString)
        return Unexpected(value, "in label matching, expected string");
      Next();
      std::optional<std::string> v = GoUnquote(value.text);
      if (!v) return Error(value.pos, "invalid syntax in string " + std::string(value.text));
      Result<Matcher> m = Matcher::Make(type, std::string(label.text), std::move(*v));
      if (!m.ok()) return Error(value.pos, std::string(m.status().message()));
      if (m->name() == kMetricName && !name.empty()) {
        return Error(label.pos, "metric name must not be set twice: \"" + name + "\" or \"" +
                                    m->value() + "\"");
      }
      e->matchers.push_back(std::move(*m));
      if (Peek().kind == Tok::kComma) {
        Next();
      } else if (Peek().kind != Tok::kRBrace) {
        return Unexpected(Peek(), "in label matching, expected \",\" or \"}\"");
      }
    }
    Next();
  }
  if (!name.empty()) {
    Result<Matcher> m = Matcher::Make(Matcher::Type::kEqual, std::string(kMetricName), name);
    e->matchers.push_back(std::move(*m));
  }
  bool non_empty = false;
  for (const Matcher& m : e->matchers) {
    if (!m.Matches("")) non_empty = true;
  }
  if (!non_empty) return Error(pos, "vector selector must contain at least one non-empty matcher");
  std::stable_sort(e->matchers.begin(), e->matchers.end(),
                   [](const Matcher& a, const Matcher& b) { return a.ToString() < b.ToString(); });
  return e;
}

Result<std::vector<std::string>> Parser::ParseLabelList() {
  RETURN_IF_ERROR(Expect(Tok::kLParen, "in grouping opts, expected \"(\""));
  std::vector<std::string> out;
  while (Peek().kind != Tok::kRParen) {
    const Token& t = Peek();
    if (t.kind != Tok::kIdentifier || !IsValidLabelName(t.text)) {
      return Unexpected(t, "in grouping opts, expected label");
    }
    Next();
    out.emplace_back(t.text);
    if (Peek().kind == Tok::kComma) {
      Next();
    } else if (Peek().kind != Tok::kRParen) {
      return Unexpected(Peek(), "in grouping opts, expected \",\" or \")\"");
    }
  }
  Next();
  return out;
}

Result<std::vector<ExprPtr>> Parser::ParseArgs(std::string_view context) {
  RETURN_IF_ERROR(Expect(Tok::kLParen, context));
  std::vector<ExprPtr> args;
  if (Peek().kind == Tok::kRParen) {
    Next();
    return args;
  }
  while (true) {
    ASSIGN_OR_RETURN(ExprPtr a, ParseExpr(0));
    args.push_back(std::move(a));
    if (Peek().kind == Tok::kComma) {
      Next();
      if (Peek().kind == Tok::kRParen) {
        return Error(Peek().pos, "trailing commas not allowed in function call args");
      }
      continue;
    }
    RETURN_IF_ERROR(Expect(Tok::kRParen, context));
    return args;
  }
}

Result<ExprPtr> Parser::ParseAggregate(AggOp op, size_t pos) {
  auto e = std::make_unique<Expr>(Expr{ExprKind::kAggregate});
  e->agg = op;
  bool have_grouping = false;
  auto grouping = [&]() -> Status {
    if (IsWord(Peek(), "by") || IsWord(Peek(), "without")) {
      if (have_grouping) return Unexpected(Peek(), "in aggregation");
      e->without = IsWord(Next(), "without");
      ASSIGN_OR_RETURN(e->grouping, ParseLabelList());
      have_grouping = true;
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(grouping());
  ASSIGN_OR_RETURN(std::vector<ExprPtr> args, ParseArgs("in aggregation"));
  RETURN_IF_ERROR(grouping());
  bool has_param = op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kCountValues ||
                   op == AggOp::kQuantile;
  size_t want = has_param ? 2 : 1;
  if (args.empty()) return Error(pos, "no arguments for aggregate expression provided");
  if (args.size() != want) {
    return Error(pos, "wrong number of arguments for aggregate expression provided, expected " +
                          std::to_string(want) + ", got " + std::to_string(args.size()));
  }
  e->lhs = std::move(args.back());
  if (has_param) e->rhs = std::move(args[0]);
  if (e->lhs->type() != ValueType::kVector) {
    return Error(pos, "expected type instant vector in aggregation expression, got " +
                          std::string(DocumentedType(e->lhs->type())));
  }
  if (e->rhs) {
    ValueType want_type = op == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar;
    if (e->rhs->type() != want_type) {
      return Error(pos, "expected type " + std::string(DocumentedType(want_type)) +
                            " in aggregation parameter, got " +
                            std::string(DocumentedType(e->rhs->type())));
    }
  }
  return e;
}

Result<ExprPtr> Parser::ParseCall(const FunctionInfo* f, size_t pos) {
  auto e = std::make_unique<Expr>(Expr{ExprKind::kCall});
  e->func = f;
  ASSIGN_OR_RETURN(e->args, ParseArgs("in function call"));
  std::string name(f->name);
  size_t nargs = f->arg_types.size();
  size_t got = e->args.size();
  if (f->variadic == 0) {
    if (got != nargs) {
      return Error(pos, "expected " + std::to_string(nargs) + " argument(s) in call to \"" + name +
                            "\", got " + std::to_string(got));
    }
  } else {
    size_t min = nargs - 1;
    if (got < min) {
      return Error(pos, "expected at least " + std::to_string(min) + " argument(s) in call to \"" +
                            name + "\", got " + std::to_string(got));
    }
    if (f->variadic > 0 && got > min + static_cast<size_t>(f->variadic)) {
      return Error(pos, "expected at most " + std::to_string(min + f->variadic) +
                            " argument(s) in call to \"" + name + "\", got " + std::to_string(got));
    }
  }
  for (size_t i = 0; i < got; ++i) {
    ValueType want = f->arg_types[std::min(i, nargs - 1)];
    ValueType t = e->args[i]->type();
    if (t != want) {
      return Error(pos, "expected type " + std::string(DocumentedType(want)) +
                            " in call to function \"" + name + "\", got " +
                            std::string(DocumentedType(t)));
    }
  }
  return e;
}

}  // namespace

Result<ExprPtr> Parse(std::string_view query) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(query));
  Parser p(query, std::move(tokens));
  return p.ParseAll();
}

}  // namespace quartet::promql
