#include "server/query/traceql/printer.h"

#include "server/query/traceql/lexer.h"

namespace quartet::traceql {
namespace {

void AppendField(const FieldRef& f, std::string* out) {
  if (f.intrinsic != Intrinsic::kNone) {
    out->append(IntrinsicName(f.intrinsic));
    return;
  }
  switch (f.scope) {
    case Scope::kSpan:
      out->append("span.");
      break;
    case Scope::kResource:
      out->append("resource.");
      break;
    case Scope::kEvent:
      out->append("event.");
      break;
    case Scope::kLink:
      out->append("link.");
      break;
    case Scope::kInstrumentation:
      out->append("instrumentation.");
      break;
    default:
      out->append(".");
  }
  if (IsPlainAttributeName(f.name)) {
    out->append(f.name);
  } else {
    AppendQuoted(f.name, out);
  }
}

void AppendCondition(const FieldCondition& c, std::string* out) {
  AppendField(c.field(), out);
  out->push_back(' ');
  out->append(OpText(c.op));
  out->push_back(' ');
  out->append(ValueToString(c.literal));
}

void AppendFilter(const FilterExpr& e, std::string* out) {
  switch (e.kind) {
    case FilterExpr::Kind::kConst:
      out->append(e.const_value ? "true" : "false");
      return;
    case FilterExpr::Kind::kCondition:
      AppendCondition(e.condition, out);
      return;
    case FilterExpr::Kind::kNot: {
      // `!` binds to a constant or another `!` without parentheses, so a
      // chain of negations prints no deeper than it was written (each
      // parenthesis is a nesting level, and nesting is bounded).
      const FilterExpr& child = e.children[0];
      const bool bare =
          child.kind == FilterExpr::Kind::kConst || child.kind == FilterExpr::Kind::kNot;
      out->append(bare ? "!" : "!(");
      AppendFilter(child, out);
      if (!bare) out->push_back(')');
      return;
    }
    case FilterExpr::Kind::kAnd:
    case FilterExpr::Kind::kOr: {
      const bool is_and = e.kind == FilterExpr::Kind::kAnd;
      for (size_t k = 0; k < e.children.size(); ++k) {
        if (k > 0) out->append(is_and ? " && " : " || ");
        const FilterExpr& c = e.children[k];
        // Only an || inside && needs parentheses; same-kind children were flattened.
        const bool parens = is_and && c.kind == FilterExpr::Kind::kOr;
        if (parens) out->push_back('(');
        AppendFilter(c, out);
        if (parens) out->push_back(')');
      }
      return;
    }
  }
}

void AppendFilterBraces(const FilterExpr& e, std::string* out) {
  if (e.kind == FilterExpr::Kind::kConst && e.const_value) {
    out->append("{ }");
    return;
  }
  out->append("{ ");
  AppendFilter(e, out);
  out->append(" }");
}

void AppendFields(const std::vector<FieldRef>& fields, std::string* out) {
  for (size_t k = 0; k < fields.size(); ++k) {
    if (k > 0) out->append(", ");
    AppendField(fields[k], out);
  }
}

void AppendStage(const PipelineStage& s, std::string* out) {
  switch (s.kind) {
    case PipelineStage::Kind::kFilter:
      AppendFilterBraces(s.filter, out);
      return;
    case PipelineStage::Kind::kAggregate:
      out->append(AggregateName(s.aggregate));
      out->push_back('(');
      if (s.aggregate != Aggregate::kCount) AppendField(s.aggregate_field, out);
      out->append(") ");
      out->append(OpText(s.op));
      out->push_back(' ');
      out->append(ValueToString(s.literal));
      return;
    case PipelineStage::Kind::kBy:
    case PipelineStage::Kind::kSelect:
      out->append(s.kind == PipelineStage::Kind::kBy ? "by(" : "select(");
      AppendFields(s.fields, out);
      out->push_back(')');
      return;
    case PipelineStage::Kind::kCoalesce:
      out->append("coalesce()");
      return;
  }
}

// Binding strength at spanset level: pipeline < || < && < structural < primary.
int Strength(const SpansetExpr& e) {
  switch (e.kind) {
    case SpansetExpr::Kind::kPipeline:
      return 0;
    case SpansetExpr::Kind::kOr:
      return 1;
    case SpansetExpr::Kind::kAnd:
      return 2;
    case SpansetExpr::Kind::kStructural:
      return 3;
    case SpansetExpr::Kind::kFilter:
      return 4;
  }
  return 4;
}

void AppendSpanset(const SpansetExpr& e, std::string* out);

void AppendOperand(const SpansetExpr& e, int min_strength, std::string* out) {
  const bool parens = Strength(e) < min_strength;
  if (parens) out->push_back('(');
  AppendSpanset(e, out);
  if (parens) out->push_back(')');
}

void AppendSpanset(const SpansetExpr& e, std::string* out) {
  switch (e.kind) {
    case SpansetExpr::Kind::kFilter:
      AppendFilterBraces(e.filter, out);
      return;
    case SpansetExpr::Kind::kAnd:
    case SpansetExpr::Kind::kOr: {
      const bool is_and = e.kind == SpansetExpr::Kind::kAnd;
      for (size_t k = 0; k < e.children.size(); ++k) {
        if (k > 0) out->append(is_and ? " && " : " || ");
        // Same-kind children were flattened, so "one stronger" is exact.
        AppendOperand(e.children[k], Strength(e) + 1, out);
      }
      return;
    }
    case SpansetExpr::Kind::kStructural:
      // Left-associative: the left operand may be another structural chain.
      AppendOperand(e.children[0], 3, out);
      out->push_back(' ');
      out->append(StructuralOpText(e.structural));
      out->push_back(' ');
      AppendOperand(e.children[1], 4, out);
      return;
    case SpansetExpr::Kind::kPipeline:
      AppendOperand(e.children[0], 1, out);
      for (const PipelineStage& s : e.stages) {
        out->append(" | ");
        AppendStage(s, out);
      }
      return;
  }
}

}  // namespace

std::string ToString(const Query& query) { return ToString(query.root); }

std::string ToString(const SpansetExpr& expr) {
  std::string out;
  AppendSpanset(expr, &out);
  return out;
}

std::string ToString(const FilterExpr& expr) {
  std::string out;
  AppendFilter(expr, &out);
  return out;
}

std::string ToString(const FieldRef& field) {
  std::string out;
  AppendField(field, &out);
  return out;
}

std::string ToString(const FieldCondition& condition) {
  std::string out;
  AppendCondition(condition, &out);
  return out;
}

}  // namespace quartet::traceql
