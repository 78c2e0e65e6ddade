// Internal to the LogQL parser (parser.cc, parser_metric.cc): the recursive-
// descent Parser over the lexer's tokens. One Parser per Parse() call; not
// thread-safe. Not for use outside this folder.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/query/logql/ast.h"
#include "server/query/logql/lexer.h"
#include "server/query/logql/parser.h"

namespace quartet::logql::parser_internal {

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  // The whole query: a log query or a metric expression, then the end.
  Result<Expr> Run();

 private:
  using T = TokenType;

  const Token& Cur() const { return tokens_[pos_]; }
  const Token& PeekAt(size_t ahead) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool Is(T type) const { return Cur().type == type; }
  bool IsIdent(std::string_view name) const { return Is(T::kIdent) && Cur().text == name; }
  void Advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }

  Status ErrorAt(size_t offset, const std::string& what) const {
    return Status::InvalidArgument("parse error at " + Position(text_, offset) + ": " + what);
  }
  Status Unexpected(const std::string& expected) const {
    return ErrorAt(Cur().offset, "expected " + expected + ", got " + Describe(Cur()));
  }
  Status Expect(T type, const std::string& expected) {
    if (!Is(type)) return Unexpected(expected);
    Advance();
    return Status::Ok();
  }
  Result<std::string> ExpectString(const std::string& after) {
    if (!Is(T::kString)) return Unexpected("a string after \"" + after + "\"");
    std::string s = Cur().text;
    Advance();
    return s;
  }
  Result<std::string> ExpectIdent(const std::string& what) {
    if (!Is(T::kIdent)) return Unexpected(what);
    std::string s = Cur().text;
    Advance();
    return s;
  }
  Status Enter() {
    if (++depth_ > kMaxParseDepth) {
      return ErrorAt(Cur().offset, "query nests too deeply (more than " +
                                       std::to_string(kMaxParseDepth) + " levels)");
    }
    return Status::Ok();
  }

  // ---- log queries (parser.cc) ----
  Result<LabelMatcher> ParseMatcher();
  Result<std::vector<LabelMatcher>> ParseSelector();
  // Parses `{...} stages`; when `range` is set (inside a range aggregation)
  // also accepts `[5m]` after the selector or the pipeline, and `| unwrap`.
  Result<LogQuery> ParseLogQuery(LogRange* range);
  Status ParseRange(LogRange* range);
  Result<LineFilter> ParseLineFilter();
  Result<Stage> ParseStage();
  Result<std::vector<JsonPathSegment>> ParseJsonPath(const std::string& path, size_t at);
  Result<std::shared_ptr<const LabelFilterExpr>> ParseLabelFilterOr();
  Result<std::shared_ptr<const LabelFilterExpr>> ParseLabelFilterAnd();
  Result<std::shared_ptr<const LabelFilterExpr>> ParseLabelFilterPrimary();
  Status ParseUnwrap(LogRange* range);

  // ---- metric queries (parser_metric.cc) ----
  // Precedence climbing (BinaryOpPrecedence): ^ is right-associative.
  Result<MetricPtr> ParseMetric(int min_prec);
  Result<MetricPtr> ParseMetricUnary();
  Result<MetricPtr> ParseMetricPrimary();
  Result<std::optional<Grouping>> ParseGrouping();
  Result<MetricPtr> ParseRangeAggregation(RangeOp op);
  Result<MetricPtr> ParseVectorAggregation(VectorOp op);

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace quartet::logql::parser_internal
