#include "server/query/traceql/parser.h"

#include <re2/re2.h>

#include <utility>

#include "server/query/traceql/lexer.h"

namespace quartet::traceql {
namespace {

bool IsStringIntrinsic(Intrinsic i) {
  switch (i) {
    case Intrinsic::kName:
    case Intrinsic::kStatusMessage:
    case Intrinsic::kEventName:
    case Intrinsic::kInstrumentationName:
    case Intrinsic::kInstrumentationVersion:
    case Intrinsic::kRootName:
    case Intrinsic::kRootService:
    case Intrinsic::kSpanId:
    case Intrinsic::kParentId:
    case Intrinsic::kTraceId:
      return true;
    default:
      return false;
  }
}

bool IsDurationIntrinsic(Intrinsic i) {
  return i == Intrinsic::kDuration || i == Intrinsic::kTraceDuration;
}

bool IsNumericIntrinsic(Intrinsic i) {
  return IsDurationIntrinsic(i) || i == Intrinsic::kNestedSetParent;
}

bool ComparisonOp(TokenKind k, Op* op) {
  switch (k) {
    case TokenKind::kEq:
      *op = Op::kEq;
      return true;
    case TokenKind::kNeq:
      *op = Op::kNeq;
      return true;
    case TokenKind::kLt:
      *op = Op::kLt;
      return true;
    case TokenKind::kLte:
      *op = Op::kLte;
      return true;
    case TokenKind::kGt:
      *op = Op::kGt;
      return true;
    case TokenKind::kGte:
      *op = Op::kGte;
      return true;
    case TokenKind::kRegex:
      *op = Op::kRegex;
      return true;
    case TokenKind::kNotRegex:
      *op = Op::kNotRegex;
      return true;
    default:
      return false;
  }
}

bool StructuralOpOf(TokenKind k, StructuralOp* op) {
  switch (k) {
    case TokenKind::kDescendant:
      *op = StructuralOp::kDescendant;
      return true;
    case TokenKind::kGt:
      *op = StructuralOp::kChild;
      return true;
    case TokenKind::kTilde:
      *op = StructuralOp::kSibling;
      return true;
    case TokenKind::kAncestor:
      *op = StructuralOp::kAncestor;
      return true;
    case TokenKind::kLt:
      *op = StructuralOp::kParent;
      return true;
    case TokenKind::kNotDescendant:
      *op = StructuralOp::kNotDescendant;
      return true;
    case TokenKind::kNotChild:
      *op = StructuralOp::kNotChild;
      return true;
    case TokenKind::kNotRegex:
      *op = StructuralOp::kNotSibling;
      return true;
    case TokenKind::kNotAncestor:
      *op = StructuralOp::kNotAncestor;
      return true;
    case TokenKind::kNotParent:
      *op = StructuralOp::kNotParent;
      return true;
    default:
      return false;
  }
}

bool StatusByName(std::string_view s, StatusLiteral* out) {
  for (auto v : {StatusLiteral::kUnset, StatusLiteral::kOk, StatusLiteral::kError}) {
    if (StatusName(v) == s) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool KindByName(std::string_view s, KindLiteral* out) {
  for (int k = 0; k <= 5; ++k) {
    if (KindName(static_cast<KindLiteral>(k)) == s) {
      *out = static_cast<KindLiteral>(k);
      return true;
    }
  }
  return false;
}

void Flatten(SpansetExpr::Kind kind, SpansetExpr&& e, std::vector<SpansetExpr>* out) {
  if (e.kind == kind) {
    for (auto& c : e.children) out->push_back(std::move(c));
  } else {
    out->push_back(std::move(e));
  }
}

void Flatten(FilterExpr::Kind kind, FilterExpr&& e, std::vector<FilterExpr>* out) {
  if (e.kind == kind) {
    for (auto& c : e.children) out->push_back(std::move(c));
  } else {
    out->push_back(std::move(e));
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  Result<Query> ParseQuery() {
    Query q;
    ASSIGN_OR_RETURN(q.root, ParsePipeline());
    if (Cur().kind != TokenKind::kEnd) {
      return Error(
          Cur(), "expected \"|\", \"&&\", \"||\" or a structural operator, got " + Describe(Cur()));
    }
    return q;
  }

 private:
  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool Accept(TokenKind k) {
    if (Cur().kind != k) return false;
    Advance();
    return true;
  }

  static std::string Describe(const Token& t) {
    if (t.kind == TokenKind::kEnd) return "end of query";
    std::string_view text = t.text;
    if (text.size() > 40) return "\"" + std::string(text.substr(0, 37)) + "...\"";
    return "\"" + std::string(text) + "\"";
  }

  Status Error(const Token& t, std::string_view message) const {
    return ErrorAt(text_, t.pos, message);
  }

  Status Expect(TokenKind k, std::string_view what, std::string_view context) {
    if (Accept(k)) return Status::Ok();
    return Error(Cur(), "expected " + std::string(what) + " " + std::string(context) + ", got " +
                            Describe(Cur()));
  }

  // Guards recursion; paired with Leave().
  Status Enter(const Token& at) {
    if (++depth_ > kMaxNesting) {
      return Error(at, "query nests deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    return Status::Ok();
  }
  void Leave() { --depth_; }

  // ---- spanset level ----

  Result<SpansetExpr> ParsePipeline() {
    ASSIGN_OR_RETURN(SpansetExpr input, ParseSpansetOr());
    if (Cur().kind != TokenKind::kPipe) return input;
    SpansetExpr pipe;
    pipe.kind = SpansetExpr::Kind::kPipeline;
    if (input.kind == SpansetExpr::Kind::kPipeline) {
      pipe = std::move(input);  // (A | s1) | s2 is A | s1 | s2
    } else {
      pipe.children.push_back(std::move(input));
    }
    while (Accept(TokenKind::kPipe)) {
      ASSIGN_OR_RETURN(PipelineStage stage, ParseStage());
      pipe.stages.push_back(std::move(stage));
    }
    return pipe;
  }

  Result<SpansetExpr> ParseSpansetOr() {
    ASSIGN_OR_RETURN(SpansetExpr first, ParseSpansetAnd());
    if (Cur().kind != TokenKind::kOr) return first;
    SpansetExpr out;
    out.kind = SpansetExpr::Kind::kOr;
    Flatten(out.kind, std::move(first), &out.children);
    while (Accept(TokenKind::kOr)) {
      ASSIGN_OR_RETURN(SpansetExpr next, ParseSpansetAnd());
      Flatten(out.kind, std::move(next), &out.children);
    }
    return out;
  }

  Result<SpansetExpr> ParseSpansetAnd() {
    ASSIGN_OR_RETURN(SpansetExpr first, ParseStructural());
    if (Cur().kind != TokenKind::kAnd) return first;
    SpansetExpr out;
    out.kind = SpansetExpr::Kind::kAnd;
    Flatten(out.kind, std::move(first), &out.children);
    while (Accept(TokenKind::kAnd)) {
      ASSIGN_OR_RETURN(SpansetExpr next, ParseStructural());
      Flatten(out.kind, std::move(next), &out.children);
    }
    return out;
  }

  Result<SpansetExpr> ParseStructural() {
    ASSIGN_OR_RETURN(SpansetExpr left, ParseSpansetPrimary());
    StructuralOp op;
    int chain = 0;
    while (StructuralOpOf(Cur().kind, &op)) {
      const Token& at = Advance();
      // Each link of the chain nests the tree one level deeper.
      RETURN_IF_ERROR(Enter(at));
      ++chain;
      ASSIGN_OR_RETURN(SpansetExpr right, ParseSpansetPrimary());
      SpansetExpr node;
      node.kind = SpansetExpr::Kind::kStructural;
      node.structural = op;
      node.children.push_back(std::move(left));
      node.children.push_back(std::move(right));
      left = std::move(node);
    }
    depth_ -= chain;
    return left;
  }

  Result<SpansetExpr> ParseSpansetPrimary() {
    const Token& t = Cur();
    if (t.kind == TokenKind::kLBrace) {
      Advance();
      SpansetExpr out;
      out.kind = SpansetExpr::Kind::kFilter;
      ASSIGN_OR_RETURN(out.filter, ParseFilterBody());
      return out;
    }
    if (t.kind == TokenKind::kLParen) {
      Advance();
      RETURN_IF_ERROR(Enter(t));
      ASSIGN_OR_RETURN(SpansetExpr inner, ParsePipeline());
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\"", "to close \"(\""));
      Leave();
      return inner;
    }
    if (t.kind == TokenKind::kEnd && pos_ == 0) return Error(t, "empty query: expected \"{\"");
    return Error(t, "expected a spanset \"{ ... }\" or \"(\", got " + Describe(t));
  }

  // After "{": a filter expression (possibly empty) and "}".
  Result<FilterExpr> ParseFilterBody() {
    if (Accept(TokenKind::kRBrace)) return FilterExpr{};  // { } matches every span
    ASSIGN_OR_RETURN(FilterExpr f, ParseOr());
    RETURN_IF_ERROR(
        Expect(TokenKind::kRBrace, "\"}\"", "to close the spanset filter (or \"&&\", \"||\")"));
    return f;
  }

  Result<PipelineStage> ParseStage() {
    const Token& t = Cur();
    PipelineStage stage;
    if (t.kind == TokenKind::kLBrace) {
      Advance();
      stage.kind = PipelineStage::Kind::kFilter;
      ASSIGN_OR_RETURN(stage.filter, ParseFilterBody());
      return stage;
    }
    if (t.kind != TokenKind::kIdent) {
      return Error(t,
                   "expected a pipeline stage after \"|\" ({ ... }, count(), avg(), min(), "
                   "max(), sum(), by(), select() or coalesce()), got " +
                       Describe(t));
    }
    const std::string_view word = t.text;
    Advance();
    if (word == "by" || word == "select") {
      stage.kind = word == "by" ? PipelineStage::Kind::kBy : PipelineStage::Kind::kSelect;
      RETURN_IF_ERROR(Expect(TokenKind::kLParen, "\"(\"", "after " + std::string(word)));
      do {
        ASSIGN_OR_RETURN(FieldRef f, ParseField());
        stage.fields.push_back(std::move(f));
      } while (Accept(TokenKind::kComma));
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\"", "after the fields"));
      return stage;
    }
    if (word == "coalesce") {
      stage.kind = PipelineStage::Kind::kCoalesce;
      RETURN_IF_ERROR(Expect(TokenKind::kLParen, "\"(\"", "after coalesce"));
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\"", "after \"coalesce(\""));
      return stage;
    }
    static constexpr Aggregate kAggregates[] = {Aggregate::kCount, Aggregate::kAvg, Aggregate::kMin,
                                                Aggregate::kMax, Aggregate::kSum};
    bool found = false;
    for (Aggregate a : kAggregates) {
      if (AggregateName(a) == word) {
        stage.aggregate = a;
        found = true;
      }
    }
    if (!found) {
      return Error(t, "unknown pipeline stage " + Describe(t) +
                          " (expected count, avg, min, max, sum, by, select or coalesce)");
    }
    stage.kind = PipelineStage::Kind::kAggregate;
    const std::string fn(word);
    RETURN_IF_ERROR(Expect(TokenKind::kLParen, "\"(\"", "after " + fn));
    if (stage.aggregate != Aggregate::kCount) {
      const Token& ft = Cur();
      ASSIGN_OR_RETURN(stage.aggregate_field, ParseField());
      const Intrinsic i = stage.aggregate_field.intrinsic;
      if (i != Intrinsic::kNone && !IsNumericIntrinsic(i)) {
        return Error(ft, fn + "() needs a numeric field, and " + std::string(IntrinsicName(i)) +
                             " is not one");
      }
    }
    RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\"", "to close " + fn + "("));
    const Token& opt = Cur();
    if (!ComparisonOp(opt.kind, &stage.op) || stage.op == Op::kRegex || stage.op == Op::kNotRegex) {
      return Error(opt, "expected a comparison (=, !=, <, <=, >, >=) after " + fn + "(), got " +
                            Describe(opt));
    }
    Advance();
    const Token& vt = Cur();
    ASSIGN_OR_RETURN(stage.literal, ParseValue(OpText(stage.op)));
    if (!stage.literal.is_numeric()) {
      return Error(vt, fn + "() compares with a number or duration, got " + Describe(vt));
    }
    return stage;
  }

  // ---- filter level ----

  Result<FilterExpr> ParseOr() {
    ASSIGN_OR_RETURN(FilterExpr first, ParseAnd());
    if (Cur().kind != TokenKind::kOr) return first;
    FilterExpr out;
    out.kind = FilterExpr::Kind::kOr;
    Flatten(out.kind, std::move(first), &out.children);
    while (Accept(TokenKind::kOr)) {
      ASSIGN_OR_RETURN(FilterExpr next, ParseAnd());
      Flatten(out.kind, std::move(next), &out.children);
    }
    return out;
  }

  Result<FilterExpr> ParseAnd() {
    ASSIGN_OR_RETURN(FilterExpr first, ParseUnary());
    if (Cur().kind != TokenKind::kAnd) return first;
    FilterExpr out;
    out.kind = FilterExpr::Kind::kAnd;
    Flatten(out.kind, std::move(first), &out.children);
    while (Accept(TokenKind::kAnd)) {
      ASSIGN_OR_RETURN(FilterExpr next, ParseUnary());
      Flatten(out.kind, std::move(next), &out.children);
    }
    return out;
  }

  Result<FilterExpr> ParseUnary() {
    const Token& t = Cur();
    if (t.kind == TokenKind::kNot) {
      Advance();
      if (Cur().kind != TokenKind::kLParen && Cur().kind != TokenKind::kNot &&
          !(Cur().kind == TokenKind::kIdent && (Cur().text == "true" || Cur().text == "false"))) {
        return Error(Cur(), "\"!\" negates a parenthesized expression: write !(" +
                                std::string(Cur().kind == TokenKind::kEnd ? "..." : Cur().text) +
                                " ...), got " + Describe(Cur()));
      }
      RETURN_IF_ERROR(Enter(t));
      ASSIGN_OR_RETURN(FilterExpr operand, ParseUnary());
      Leave();
      FilterExpr out;
      out.kind = FilterExpr::Kind::kNot;
      out.children.push_back(std::move(operand));
      return out;
    }
    if (t.kind == TokenKind::kLParen) {
      Advance();
      RETURN_IF_ERROR(Enter(t));
      ASSIGN_OR_RETURN(FilterExpr inner, ParseOr());
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\"", "to close \"(\""));
      Leave();
      return inner;
    }
    if (t.kind == TokenKind::kIdent && (t.text == "true" || t.text == "false")) {
      Advance();
      FilterExpr out;
      out.const_value = t.text == "true";
      return out;
    }
    return ParseCondition();
  }

  Result<FieldRef> ParseField() {
    const Token& t = Cur();
    FieldRef f;
    if (t.kind == TokenKind::kAttribute) {
      Advance();
      f.scope = t.scope;
      f.name = t.str;
      return f;
    }
    if (t.kind != TokenKind::kIdent) {
      return Error(t,
                   "expected a field (an attribute like span.http.route or an intrinsic like "
                   "duration), got " +
                       Describe(t));
    }
    f.intrinsic = LookupIntrinsic(t.text);
    if (f.intrinsic == Intrinsic::kNone) {
      if (t.text.find(':') != std::string_view::npos) {
        return Error(t, "unknown intrinsic " + Describe(t));
      }
      return Error(t, "unknown intrinsic " + Describe(t) + " (attributes need a scope: span." +
                          std::string(t.text) + ", resource." + std::string(t.text) + " or ." +
                          std::string(t.text) + ")");
    }
    Advance();
    f.scope = IntrinsicScope(f.intrinsic);
    f.name = std::string(IntrinsicName(f.intrinsic));
    return f;
  }

  // A literal after operator `after` (for messages).
  Result<Value> ParseValue(std::string_view after) {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kString:
        Advance();
        return Value::String(t.str);
      case TokenKind::kInt:
        Advance();
        return Value::Int(t.i);
      case TokenKind::kFloat:
        Advance();
        return Value::Float(t.f);
      case TokenKind::kDuration:
        Advance();
        return Value::Duration(t.i);
      case TokenKind::kIdent: {
        StatusLiteral s;
        KindLiteral k;
        Value v;
        if (t.text == "true" || t.text == "false") {
          v = Value::Bool(t.text == "true");
        } else if (t.text == "nil") {
          v = Value::Nil();
        } else if (StatusByName(t.text, &s)) {
          v = Value::Status(s);
        } else if (KindByName(t.text, &k)) {
          v = Value::Kind(k);
        } else {
          return Error(t, "unknown value " + Describe(t) + " (strings need quotes: \"" +
                              std::string(t.text) + "\")");
        }
        Advance();
        return v;
      }
      default:
        return Error(t,
                     "expected a value after \"" + std::string(after) + "\", got " + Describe(t));
    }
  }

  Result<FilterExpr> ParseCondition() {
    const Token& ft = Cur();
    FilterExpr out;
    out.kind = FilterExpr::Kind::kCondition;
    FieldCondition& c = out.condition;
    ASSIGN_OR_RETURN(FieldRef field, ParseField());
    c.scope = field.scope;
    c.name = std::move(field.name);
    c.intrinsic = field.intrinsic;
    const Token& opt = Cur();
    if (!ComparisonOp(opt.kind, &c.op)) {
      return Error(opt, "expected an operator (=, !=, <, <=, >, >=, =~, !~) after " + Describe(ft) +
                            ", got " + Describe(opt));
    }
    Advance();
    const Token& vt = Cur();
    ASSIGN_OR_RETURN(c.literal, ParseValue(OpText(c.op)));
    RETURN_IF_ERROR(Check(ft, vt, &c));
    return out;
  }

  // Type rules that can be decided from the query alone, and regex compilation.
  Status Check(const Token& ft, const Token& vt, FieldCondition* c) {
    const Value::Type type = c->literal.type;
    const std::string field = Describe(ft);
    const std::string op = "\"" + std::string(OpText(c->op)) + "\"";
    const bool equality = c->op == Op::kEq || c->op == Op::kNeq;
    const bool regex = c->op == Op::kRegex || c->op == Op::kNotRegex;
    if (regex) {
      if (type != Value::Type::kString) {
        return Error(vt, op + " needs a string pattern, got " + Describe(vt));
      }
      if (c->intrinsic != Intrinsic::kNone && !IsStringIntrinsic(c->intrinsic)) {
        return Error(ft, op + " applies to strings, and " + field + " is not one");
      }
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(c->literal.s, options);
      if (!re->ok()) {
        return Error(vt, "bad regex " + Describe(vt) + ": " + re->error());
      }
      c->regex = std::move(re);
      return Status::Ok();
    }
    if (c->intrinsic == Intrinsic::kStatus) {
      if (type != Value::Type::kStatus) {
        return Error(vt, "status compares with error, ok or unset, got " + Describe(vt));
      }
      if (!equality) return Error(ft, "status compares only with = and !=");
      return Status::Ok();
    }
    if (c->intrinsic == Intrinsic::kKind) {
      if (type != Value::Type::kKind) {
        return Error(vt,
                     "kind compares with unspecified, internal, server, client, producer or "
                     "consumer, got " +
                         Describe(vt));
      }
      if (!equality) return Error(ft, "kind compares only with = and !=");
      return Status::Ok();
    }
    if (IsDurationIntrinsic(c->intrinsic)) {
      if (!c->literal.is_numeric()) {
        return Error(vt, field +
                             " compares with a duration (like 150ms) or a number of "
                             "nanoseconds, got " +
                             Describe(vt));
      }
      return Status::Ok();
    }
    if (c->intrinsic == Intrinsic::kNestedSetParent) {
      if (!c->literal.is_numeric()) {
        return Error(vt, "nestedSetParent compares with a number, got " + Describe(vt));
      }
      return Status::Ok();
    }
    if (IsStringIntrinsic(c->intrinsic)) {
      if (type != Value::Type::kString) {
        return Error(vt, field + " compares with a string, got " + Describe(vt));
      }
      return Status::Ok();
    }
    // Attributes: their type is known only per span, mismatches are false.
    const bool orderable = c->literal.is_numeric() || type == Value::Type::kString;
    if (!equality && !orderable) {
      return Error(vt, op + " needs a number, duration or string, got " + Describe(vt));
    }
    return Status::Ok();
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<Query> Parse(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text));
  return Parser(text, std::move(tokens)).ParseQuery();
}

}  // namespace quartet::traceql
