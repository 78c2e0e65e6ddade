#include "server/query/logql/parser.h"

#include <re2/re2.h>

#include <cmath>
#include <utility>

#include "server/query/logql/line_template.h"
#include "server/query/logql/literals.h"
#include "server/query/logql/parser_internal.h"
#include "server/query/logql/pattern_parser.h"

namespace quartet::logql {
namespace parser_internal {
namespace {

std::shared_ptr<const re2::RE2> CompileUnanchored(const std::string& re, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  auto compiled = std::make_shared<const RE2>(re, options);
  if (!compiled->ok()) {
    *error = compiled->error();
    return nullptr;
  }
  return compiled;
}

}  // namespace

using T = TokenType;

Result<Expr> Parser::Run() {
  Expr expr;
  if (Is(T::kLBrace)) {
    ASSIGN_OR_RETURN(LogQuery q, ParseLogQuery(/*range=*/nullptr));
    expr = std::move(q);
  } else {
    ASSIGN_OR_RETURN(MetricPtr m, ParseMetric(0));
    expr = std::move(m);
  }
  if (!Is(T::kEof)) return Unexpected("an operator or the end of the query");
  return expr;
}

Result<LabelMatcher> Parser::ParseMatcher() {
  size_t at = Cur().offset;
  ASSIGN_OR_RETURN(std::string name, ExpectIdent("a label name"));
  LabelMatcher::Type type;
  switch (Cur().type) {
    case T::kEq:
      type = LabelMatcher::Type::kEq;
      break;
    case T::kNeq:
      type = LabelMatcher::Type::kNeq;
      break;
    case T::kRe:
      type = LabelMatcher::Type::kRe;
      break;
    case T::kNre:
      type = LabelMatcher::Type::kNre;
      break;
    default:
      return Unexpected("one of =, !=, =~, !~ after label \"" + name + "\"");
  }
  std::string op = Cur().text;
  Advance();
  ASSIGN_OR_RETURN(std::string value, ExpectString(op));
  auto m = LabelMatcher::Make(type, std::move(name), std::move(value));
  if (!m.ok()) return ErrorAt(at, std::string(m.status().message()));
  return m;
}

Result<std::vector<LabelMatcher>> Parser::ParseSelector() {
  size_t at = Cur().offset;
  RETURN_IF_ERROR(Expect(T::kLBrace, "\"{\" to start a stream selector"));
  std::vector<LabelMatcher> matchers;
  while (!Is(T::kRBrace)) {
    ASSIGN_OR_RETURN(LabelMatcher m, ParseMatcher());
    matchers.push_back(std::move(m));
    if (Is(T::kComma)) {
      Advance();
    } else if (!Is(T::kRBrace)) {
      return Unexpected("\",\" or \"}\" in stream selector");
    }
  }
  Advance();
  bool selective = false;
  for (const auto& m : matchers) selective |= !m.Matches("");
  if (!selective) {
    return ErrorAt(at,
                   "queries require at least one regexp or equality matcher that does not "
                   "match the empty string, e.g. {app=\"x\"}");
  }
  return matchers;
}

// Parses `{...} stages`; when `range` is set (inside a range aggregation)
// also accepts `[5m]` after the selector or the pipeline, and `| unwrap`.
Result<LogQuery> Parser::ParseLogQuery(LogRange* range) {
  LogQuery q;
  ASSIGN_OR_RETURN(q.selector, ParseSelector());
  if (range && Is(T::kLBracket)) RETURN_IF_ERROR(ParseRange(range));
  while (true) {
    if (Is(T::kPipeExact) || Is(T::kNeq) || Is(T::kPipeMatch) || Is(T::kNre)) {
      ASSIGN_OR_RETURN(LineFilter f, ParseLineFilter());
      q.pipeline.push_back(std::move(f));
      continue;
    }
    if (!Is(T::kPipe)) break;
    Advance();
    if (IsIdent("unwrap")) {
      if (!range)
        return ErrorAt(Cur().offset,
                       "unwrap is only allowed in a range aggregation "
                       "such as sum_over_time(... | unwrap x [5m])");
      RETURN_IF_ERROR(ParseUnwrap(range));
      break;
    }
    ASSIGN_OR_RETURN(Stage s, ParseStage());
    q.pipeline.push_back(std::move(s));
  }
  return q;
}

Status Parser::ParseRange(LogRange* range) {
  if (range->range_ns != 0) return ErrorAt(Cur().offset, "the range is given twice");
  Advance();
  if (!Is(T::kDuration)) return Unexpected("a duration such as 5m in the range");
  range->range_ns = Cur().duration;
  if (range->range_ns <= 0) return ErrorAt(Cur().offset, "the range must be positive");
  Advance();
  return Expect(T::kRBracket, "\"]\" after the range");
}

Result<LineFilter> Parser::ParseLineFilter() {
  LineFilter::Op op;
  std::string op_text = Cur().text;
  switch (Cur().type) {
    case T::kPipeExact:
      op = LineFilter::Op::kContains;
      break;
    case T::kNeq:
      op = LineFilter::Op::kNotContains;
      break;
    case T::kPipeMatch:
      op = LineFilter::Op::kRegex;
      break;
    default:
      op = LineFilter::Op::kNotRegex;
      break;
  }
  Advance();
  std::vector<std::string> values;
  std::optional<LineFilter> first;
  while (true) {
    size_t at = Cur().offset;
    ASSIGN_OR_RETURN(std::string v, ExpectString(values.empty() ? op_text : "or"));
    // Compiled one by one only to point the error at the bad value.
    auto one = LineFilter::Make(op, {v});
    if (!one.ok()) return ErrorAt(at, std::string(one.status().message()));
    if (values.empty()) first = std::move(*one);
    values.push_back(std::move(v));
    if (!IsIdent("or")) break;
    Advance();
  }
  if (values.size() == 1) return std::move(*first);
  return LineFilter::Make(op, std::move(values));
}

Result<Stage> Parser::ParseStage() {
  if (!Is(T::kIdent) && !Is(T::kLParen)) {
    return Unexpected("a parser, label filter or formatting stage after \"|\"");
  }
  // `json` etc. are keywords only when not used as a label in a filter.
  bool keyword = Is(T::kIdent) && !(PeekAt(1).type >= T::kEq && PeekAt(1).type <= T::kNre) &&
                 !(PeekAt(1).type >= T::kGt && PeekAt(1).type <= T::kLte);
  std::string name = Cur().text;
  size_t at = Cur().offset;
  if (keyword && (name == "json" || name == "logfmt")) {
    Advance();
    std::vector<std::pair<std::string, std::string>> items;
    while (Is(T::kIdent) && !(PeekAt(1).type == T::kIdent)) {
      std::string label = Cur().text;
      std::string path = label;
      Advance();
      if (Is(T::kEq)) {
        Advance();
        ASSIGN_OR_RETURN(path, ExpectString("="));
      }
      items.emplace_back(std::move(label), std::move(path));
      if (!Is(T::kComma)) break;
      Advance();
    }
    if (name == "logfmt") {
      LogfmtStage s;
      for (auto& [label, key] : items) s.extractions.push_back({label, key});
      return Stage(std::move(s));
    }
    JsonStage s;
    for (auto& [label, path] : items) {
      ASSIGN_OR_RETURN(auto segments, ParseJsonPath(path, at));
      s.extractions.push_back({label, path, std::move(segments)});
    }
    return Stage(std::move(s));
  }
  if (keyword && name == "pattern") {
    Advance();
    ASSIGN_OR_RETURN(std::string text, ExpectString("pattern"));
    auto p = Pattern::Compile(text);
    if (!p.ok()) return ErrorAt(at, std::string(p.status().message()));
    return Stage(PatternStage{text, std::make_shared<const Pattern>(std::move(*p))});
  }
  if (keyword && name == "regexp") {
    Advance();
    ASSIGN_OR_RETURN(std::string text, ExpectString("regexp"));
    std::string error;
    auto re = CompileUnanchored(text, &error);
    if (!re) return ErrorAt(at, "invalid regex " + Quote(text) + ": " + error);
    if (re->NamedCapturingGroups().empty()) {
      return ErrorAt(at,
                     "regexp " + Quote(text) + " has no named capture group like (?P<name>...)");
    }
    return Stage(RegexpStage{text, std::move(re)});
  }
  if (keyword && name == "line_format") {
    Advance();
    ASSIGN_OR_RETURN(std::string text, ExpectString("line_format"));
    auto t = Template::Compile(text);
    if (!t.ok()) return ErrorAt(at, "line_format: " + std::string(t.status().message()));
    return Stage(LineFormatStage{text, std::make_shared<const Template>(std::move(*t))});
  }
  if (keyword && name == "label_format") {
    Advance();
    LabelFormatStage s;
    do {
      if (!s.items.empty()) Advance();
      LabelFormatStage::Item item;
      ASSIGN_OR_RETURN(item.dst, ExpectIdent("a label name in label_format"));
      RETURN_IF_ERROR(Expect(T::kEq, "\"=\" in label_format"));
      if (Is(T::kString)) {
        item.is_template = true;
        item.src = Cur().text;
        auto t = Template::Compile(item.src);
        if (!t.ok())
          return ErrorAt(Cur().offset, "label_format: " + std::string(t.status().message()));
        item.compiled = std::make_shared<const Template>(std::move(*t));
        Advance();
      } else {
        ASSIGN_OR_RETURN(item.src, ExpectIdent("a label name or a template string"));
      }
      s.items.push_back(std::move(item));
    } while (Is(T::kComma));
    return Stage(std::move(s));
  }
  if (keyword && (name == "drop" || name == "keep")) {
    Advance();
    DropKeepStage s;
    s.keep = name == "keep";
    do {
      if (!s.items.empty()) Advance();
      DropKeepStage::Item item;
      if (Is(T::kIdent) && PeekAt(1).type >= T::kEq && PeekAt(1).type <= T::kNre &&
          PeekAt(1).type != T::kEqEq) {
        ASSIGN_OR_RETURN(LabelMatcher m, ParseMatcher());
        item.name = m.name;
        item.matcher = std::move(m);
      } else {
        ASSIGN_OR_RETURN(item.name, ExpectIdent("a label name in " + name));
      }
      s.items.push_back(std::move(item));
    } while (Is(T::kComma));
    return Stage(std::move(s));
  }
  if (keyword && name == "decolorize") {
    Advance();
    return Stage(DecolorizeStage{});
  }
  if (keyword && name != "__error__") {
    static constexpr std::string_view kUnsupported[] = {"unpack", "distinct"};
    for (auto u : kUnsupported) {
      if (name == u) return ErrorAt(at, "the \"" + name + "\" stage is not supported");
    }
  }
  ASSIGN_OR_RETURN(auto expr, ParseLabelFilterOr());
  return Stage(LabelFilterStage{std::move(expr)});
}

Result<std::vector<JsonPathSegment>> Parser::ParseJsonPath(const std::string& path, size_t at) {
  std::vector<JsonPathSegment> segs;
  size_t i = 0;
  auto bad = [&](const std::string& why) {
    return ErrorAt(at, "invalid json path " + Quote(path) + ": " + why);
  };
  while (i < path.size()) {
    if (path[i] == '.') {
      if (segs.empty()) return bad("unexpected \".\"");
      ++i;
    }
    if (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return bad("unclosed \"[\"");
      std::string_view inner(path.data() + i + 1, close - i - 1);
      JsonPathSegment seg;
      if (inner.size() >= 2 && (inner.front() == '"' || inner.front() == '\'') &&
          inner.back() == inner.front()) {
        seg.key = std::string(inner.substr(1, inner.size() - 2));
      } else {
        auto n = ParseNumber(inner);
        if (!n || *n < 0 || *n != std::floor(*n) || *n > 1e9) {
          return bad("index must be a non-negative integer or a quoted key");
        }
        seg.index = static_cast<int64_t>(*n);
      }
      segs.push_back(std::move(seg));
      i = close + 1;
      continue;
    }
    size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    if (end == i) return bad("empty key");
    segs.push_back({path.substr(i, end - i), -1});
    i = end;
  }
  if (segs.empty()) return bad("empty path");
  return segs;
}

Result<std::shared_ptr<const LabelFilterExpr>> Parser::ParseLabelFilterOr() {
  RETURN_IF_ERROR(Enter());
  ASSIGN_OR_RETURN(auto left, ParseLabelFilterAnd());
  while (IsIdent("or")) {
    Advance();
    ASSIGN_OR_RETURN(auto right, ParseLabelFilterAnd());
    auto node = std::make_shared<LabelFilterExpr>();
    node->kind = LabelFilterExpr::Kind::kOr;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  --depth_;
  return left;
}

Result<std::shared_ptr<const LabelFilterExpr>> Parser::ParseLabelFilterAnd() {
  ASSIGN_OR_RETURN(auto left, ParseLabelFilterPrimary());
  while (IsIdent("and") || Is(T::kComma)) {
    Advance();
    ASSIGN_OR_RETURN(auto right, ParseLabelFilterPrimary());
    auto node = std::make_shared<LabelFilterExpr>();
    node->kind = LabelFilterExpr::Kind::kAnd;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  return left;
}

Result<std::shared_ptr<const LabelFilterExpr>> Parser::ParseLabelFilterPrimary() {
  if (Is(T::kLParen)) {
    Advance();
    ASSIGN_OR_RETURN(auto inner, ParseLabelFilterOr());
    RETURN_IF_ERROR(Expect(T::kRParen, "\")\" closing the label filter"));
    return inner;
  }
  ASSIGN_OR_RETURN(std::string name, ExpectIdent("a label name in a label filter"));
  auto node = std::make_shared<LabelFilterExpr>();
  T op = Cur().type;
  std::string op_text = Cur().text;
  if (!(op >= T::kEq && op <= T::kNre) && !(op >= T::kGt && op <= T::kLte)) {
    return Unexpected("a comparison (=, !=, =~, !~, >, >=, <, <=, ==) after label \"" + name +
                      "\"");
  }
  Advance();
  const Token& v = Cur();
  if (v.type == T::kString) {
    LabelMatcher::Type type;
    if (op == T::kEq || op == T::kEqEq) {
      type = LabelMatcher::Type::kEq;
    } else if (op == T::kNeq) {
      type = LabelMatcher::Type::kNeq;
    } else if (op == T::kRe) {
      type = LabelMatcher::Type::kRe;
    } else if (op == T::kNre) {
      type = LabelMatcher::Type::kNre;
    } else {
      return ErrorAt(v.offset, "\"" + op_text + "\" needs a number, duration or byte size, got " +
                                   Describe(v));
    }
    auto m = LabelMatcher::Make(type, name, v.text);
    if (!m.ok()) return ErrorAt(v.offset, std::string(m.status().message()));
    node->kind = LabelFilterExpr::Kind::kString;
    node->matcher = std::move(*m);
    Advance();
    return std::shared_ptr<const LabelFilterExpr>(std::move(node));
  }
  if (op == T::kRe || op == T::kNre) return Unexpected("a regex string after \"" + op_text + "\"");
  if (v.type == T::kNumber) {
    node->kind = LabelFilterExpr::Kind::kNumber;
    node->value = v.number;
  } else if (v.type == T::kDuration) {
    node->kind = LabelFilterExpr::Kind::kDuration;
    node->value = static_cast<double>(v.duration) / 1e9;
    node->literal = v.text;
  } else if (v.type == T::kBytes) {
    node->kind = LabelFilterExpr::Kind::kBytes;
    node->value = v.number;
    node->literal = v.text;
  } else if (v.type == T::kSub && PeekAt(1).type == T::kNumber) {
    Advance();
    node->kind = LabelFilterExpr::Kind::kNumber;
    node->value = -Cur().number;
  } else {
    return Unexpected("a string, number, duration or byte size after \"" + op_text + "\"");
  }
  Advance();
  node->name = std::move(name);
  switch (op) {
    case T::kEq:
    case T::kEqEq:
      node->cmp = LabelFilterExpr::Cmp::kEq;
      break;
    case T::kNeq:
      node->cmp = LabelFilterExpr::Cmp::kNeq;
      break;
    case T::kGt:
      node->cmp = LabelFilterExpr::Cmp::kGt;
      break;
    case T::kGte:
      node->cmp = LabelFilterExpr::Cmp::kGte;
      break;
    case T::kLt:
      node->cmp = LabelFilterExpr::Cmp::kLt;
      break;
    default:
      node->cmp = LabelFilterExpr::Cmp::kLte;
      break;
  }
  return std::shared_ptr<const LabelFilterExpr>(std::move(node));
}

Status Parser::ParseUnwrap(LogRange* range) {
  Advance();  // unwrap
  Unwrap u;
  ASSIGN_OR_RETURN(std::string name, ExpectIdent("a label name after unwrap"));
  if (Is(T::kLParen)) {
    if (name == "duration") {
      u.conv = Unwrap::Conv::kDuration;
    } else if (name == "duration_seconds") {
      u.conv = Unwrap::Conv::kDurationSeconds;
    } else if (name == "bytes") {
      u.conv = Unwrap::Conv::kBytes;
    } else {
      return ErrorAt(Cur().offset, "unknown unwrap conversion \"" + name +
                                       "\" (use duration, duration_seconds or bytes)");
    }
    Advance();
    ASSIGN_OR_RETURN(u.label, ExpectIdent("a label name in " + name + "(...)"));
    RETURN_IF_ERROR(Expect(T::kRParen, "\")\" after the unwrapped label"));
  } else {
    u.label = std::move(name);
  }
  while (Is(T::kPipe)) {
    Advance();
    ASSIGN_OR_RETURN(auto f, ParseLabelFilterOr());
    u.post_filters.push_back(std::move(f));
  }
  range->unwrap = std::move(u);
  return Status::Ok();
}

}  // namespace parser_internal

Result<Expr> Parse(std::string_view text) {
  if (text.size() > kMaxQueryBytes) {
    return Status::InvalidArgument("query is too long (" + std::to_string(text.size()) +
                                   " bytes, the limit is " + std::to_string(kMaxQueryBytes) + ")");
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  return parser_internal::Parser(text, std::move(tokens)).Run();
}

}  // namespace quartet::logql
