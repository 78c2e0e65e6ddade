#include "server/query/traceql/ast.h"

#include <algorithm>

namespace quartet::traceql {

bool operator==(const FieldCondition& a, const FieldCondition& b) {
  return a.scope == b.scope && a.name == b.name && a.op == b.op && a.literal == b.literal &&
         a.intrinsic == b.intrinsic;
}

std::string_view StructuralOpText(StructuralOp op) {
  switch (op) {
    case StructuralOp::kDescendant:
      return ">>";
    case StructuralOp::kChild:
      return ">";
    case StructuralOp::kSibling:
      return "~";
    case StructuralOp::kAncestor:
      return "<<";
    case StructuralOp::kParent:
      return "<";
    case StructuralOp::kNotDescendant:
      return "!>>";
    case StructuralOp::kNotChild:
      return "!>";
    case StructuralOp::kNotSibling:
      return "!~";
    case StructuralOp::kNotAncestor:
      return "!<<";
    case StructuralOp::kNotParent:
      return "!<";
  }
  return "?";
}

std::string_view AggregateName(Aggregate a) {
  switch (a) {
    case Aggregate::kCount:
      return "count";
    case Aggregate::kAvg:
      return "avg";
    case Aggregate::kMin:
      return "min";
    case Aggregate::kMax:
      return "max";
    case Aggregate::kSum:
      return "sum";
  }
  return "count";
}

namespace {

struct Spelling {
  std::string_view text;
  Intrinsic intrinsic;
};

// The first spelling of each intrinsic is its canonical one.
constexpr Spelling kSpellings[] = {
    {"name", Intrinsic::kName},
    {"span:name", Intrinsic::kName},
    {"status", Intrinsic::kStatus},
    {"span:status", Intrinsic::kStatus},
    {"statusMessage", Intrinsic::kStatusMessage},
    {"span:statusMessage", Intrinsic::kStatusMessage},
    {"kind", Intrinsic::kKind},
    {"span:kind", Intrinsic::kKind},
    {"duration", Intrinsic::kDuration},
    {"span:duration", Intrinsic::kDuration},
    {"event:name", Intrinsic::kEventName},
    {"instrumentation:name", Intrinsic::kInstrumentationName},
    {"instrumentation:version", Intrinsic::kInstrumentationVersion},
    {"nestedSetParent", Intrinsic::kNestedSetParent},
    {"span:id", Intrinsic::kSpanId},
    {"span:parentID", Intrinsic::kParentId},
    {"trace:id", Intrinsic::kTraceId},
    {"trace:duration", Intrinsic::kTraceDuration},
    {"traceDuration", Intrinsic::kTraceDuration},
    {"trace:rootName", Intrinsic::kRootName},
    {"rootName", Intrinsic::kRootName},
    {"trace:rootService", Intrinsic::kRootService},
    {"rootServiceName", Intrinsic::kRootService},
};

}  // namespace

namespace {

void CollectSelected(const SpansetExpr& e, std::vector<FieldRef>* out) {
  for (const SpansetExpr& c : e.children) CollectSelected(c, out);
  for (const PipelineStage& st : e.stages) {
    if (st.kind != PipelineStage::Kind::kSelect) continue;
    for (const FieldRef& f : st.fields) {
      if (std::find(out->begin(), out->end(), f) == out->end()) out->push_back(f);
    }
  }
}

}  // namespace

std::vector<FieldRef> SelectedFields(const Query& query) {
  std::vector<FieldRef> out;
  CollectSelected(query.root, &out);
  return out;
}

Intrinsic LookupIntrinsic(std::string_view spelling) {
  for (const Spelling& s : kSpellings) {
    if (s.text == spelling) return s.intrinsic;
  }
  return Intrinsic::kNone;
}

std::string_view IntrinsicName(Intrinsic i) {
  for (const Spelling& s : kSpellings) {
    if (s.intrinsic == i) return s.text;
  }
  return "";
}

Scope IntrinsicScope(Intrinsic i) {
  switch (i) {
    case Intrinsic::kTraceDuration:
    case Intrinsic::kRootName:
    case Intrinsic::kRootService:
    case Intrinsic::kTraceId:
      return Scope::kTrace;
    default:
      return Scope::kIntrinsic;
  }
}

}  // namespace quartet::traceql
