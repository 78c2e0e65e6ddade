#include "server/query/traceql/evaluate.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "server/query/traceql/parser.h"
#include "server/query/traceql/printer.h"
#include "server/query/traceql/structural.h"

namespace quartet::traceql {
namespace {

// A field's value on one span, borrowed from the span data: no allocation.
struct Resolved {
  enum class Type : uint8_t { kNil, kString, kInt, kDouble, kBool, kStatus, kKind, kOther };
  Type type = Type::kNil;
  std::string_view s;   // kString, unless in_buf
  bool in_buf = false;  // the string is buf[0, len): hex ids, formatted on demand
  uint8_t len = 0;
  char buf[32];
  int64_t i = 0;
  double d = 0;
  bool b = false;

  // Safe after copying, unlike a view into buf.
  std::string_view str() const { return in_buf ? std::string_view(buf, len) : s; }
};

Resolved FromAny(const otlp::AnyValue* v) {
  Resolved r;
  if (v == nullptr) return r;
  switch (v->type) {
    case otlp::AnyValue::Type::kString:
      r.type = Resolved::Type::kString;
      r.s = v->string_value;
      break;
    case otlp::AnyValue::Type::kInt:
      r.type = Resolved::Type::kInt;
      r.i = v->int_value;
      break;
    case otlp::AnyValue::Type::kDouble:
      r.type = Resolved::Type::kDouble;
      r.d = v->double_value;
      break;
    case otlp::AnyValue::Type::kBool:
      r.type = Resolved::Type::kBool;
      r.b = v->bool_value;
      break;
    default:  // present, but not comparable with any literal (bytes, arrays, maps, empty)
      r.type = Resolved::Type::kOther;
  }
  return r;
}

Resolved Str(std::string_view s) {
  Resolved r;
  r.type = Resolved::Type::kString;
  r.s = s;
  return r;
}

Resolved Int(int64_t i, Resolved::Type type = Resolved::Type::kInt) {
  Resolved r;
  r.type = type;
  r.i = i;
  return r;
}

template <typename Id>
Resolved Hex(const Id& id) {
  Resolved r;
  r.type = Resolved::Type::kString;
  r.in_buf = true;
  r.len = static_cast<uint8_t>(2 * sizeof(id.bytes));
  id.ToHex(r.buf);
  return r;
}

int64_t SpanDuration(const otlp::Span& s) {
  return s.end_time_unix_nano >= s.start_time_unix_nano
             ? static_cast<int64_t>(s.end_time_unix_nano - s.start_time_unix_nano)
             : 0;
}

// Single-valued fields (not event/link scoped, not event:name).
Resolved Resolve(Scope scope, std::string_view name, Intrinsic intrinsic, const SpanRow& row,
                 const TraceFacts& facts) {
  const otlp::Span& span = *row.span;
  switch (intrinsic) {
    case Intrinsic::kNone:
      break;
    case Intrinsic::kName:
      return Str(span.name);
    case Intrinsic::kStatus:
      return Int(static_cast<int64_t>(span.status.code), Resolved::Type::kStatus);
    case Intrinsic::kStatusMessage:
      return Str(span.status.message);
    case Intrinsic::kKind:
      return Int(static_cast<int64_t>(span.kind), Resolved::Type::kKind);
    case Intrinsic::kDuration:
      return Int(SpanDuration(span));
    case Intrinsic::kInstrumentationName:
      return row.scope != nullptr ? Str(row.scope->name) : Resolved{};
    case Intrinsic::kInstrumentationVersion:
      return row.scope != nullptr ? Str(row.scope->version) : Resolved{};
    case Intrinsic::kTraceDuration:
      return Int(facts.duration_ns);
    case Intrinsic::kRootName:
      return Str(facts.root_name);
    case Intrinsic::kRootService:
      return Str(facts.root_service);
    case Intrinsic::kEventName:
      return span.events.empty() ? Resolved{} : Str(span.events[0].name);
    case Intrinsic::kNestedSetParent:
      // Only the sign is meaningful here (Tempo numbers spans in a nested set
      // model): -1 for a root span, as Grafana's "root spans" filter
      // `nestedSetParent<0` expects.
      return Int(span.parent_span_id.valid() ? 1 : -1);
    case Intrinsic::kSpanId:
      return Hex(span.span_id);
    case Intrinsic::kParentId:
      return span.parent_span_id.valid() ? Hex(span.parent_span_id) : Str("");
    case Intrinsic::kTraceId:
      return Hex(span.trace_id);
  }
  switch (scope) {
    case Scope::kSpan:
      return FromAny(otlp::FindAttribute(span.attributes, name));
    case Scope::kResource:
      return row.resource != nullptr ? FromAny(otlp::FindAttribute(row.resource->attributes, name))
                                     : Resolved{};
    case Scope::kAny: {
      const otlp::AnyValue* v = otlp::FindAttribute(span.attributes, name);
      if (v == nullptr && row.resource != nullptr) {
        v = otlp::FindAttribute(row.resource->attributes, name);
      }
      return FromAny(v);
    }
    case Scope::kInstrumentation:
      return row.scope != nullptr ? FromAny(otlp::FindAttribute(row.scope->attributes, name))
                                  : Resolved{};
    case Scope::kEvent:
      for (const otlp::SpanEvent& e : span.events) {
        if (const auto* v = otlp::FindAttribute(e.attributes, name)) return FromAny(v);
      }
      return {};
    case Scope::kLink:
      for (const otlp::SpanLink& l : span.links) {
        if (const auto* v = otlp::FindAttribute(l.attributes, name)) return FromAny(v);
      }
      return {};
    default:
      return {};
  }
}

template <typename T>
bool Compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNeq:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLte:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGte:
      return a >= b;
    default:
      return false;
  }
}

bool Matches(const Resolved& r, const FieldCondition& c) {
  const Value& lit = c.literal;
  if (lit.type == Value::Type::kNil) {
    if (c.op == Op::kEq) return r.type == Resolved::Type::kNil;
    if (c.op == Op::kNeq) return r.type != Resolved::Type::kNil;
    return false;
  }
  switch (lit.type) {
    case Value::Type::kString:
      if (r.type != Resolved::Type::kString) return false;
      if (c.op == Op::kRegex || c.op == Op::kNotRegex) {
        if (c.regex == nullptr) return false;
        const bool full = RE2::FullMatch(r.str(), *c.regex);
        return c.op == Op::kRegex ? full : !full;
      }
      return Compare<std::string_view>(c.op, r.str(), lit.s);
    case Value::Type::kInt:
    case Value::Type::kDuration:
      if (r.type == Resolved::Type::kInt) return Compare(c.op, r.i, lit.i);
      if (r.type == Resolved::Type::kDouble) {
        return Compare(c.op, r.d, static_cast<double>(lit.i));
      }
      return false;
    case Value::Type::kFloat:
      if (r.type == Resolved::Type::kInt) return Compare(c.op, static_cast<double>(r.i), lit.f);
      if (r.type == Resolved::Type::kDouble) return Compare(c.op, r.d, lit.f);
      return false;
    case Value::Type::kBool:
      return r.type == Resolved::Type::kBool && (c.op == Op::kEq || c.op == Op::kNeq) &&
             Compare(c.op, r.b, lit.b);
    case Value::Type::kStatus:
      return r.type == Resolved::Type::kStatus && Compare(c.op, r.i, lit.i);
    case Value::Type::kKind:
      return r.type == Resolved::Type::kKind && Compare(c.op, r.i, lit.i);
    case Value::Type::kNil:
      break;
  }
  return false;
}

// Event- and link-scoped fields hold one value per event/link: the condition
// holds when it holds for any of them.
template <typename Items, typename ValueOf>
bool AnyMatches(const Items& items, const FieldCondition& c, ValueOf value_of) {
  for (const auto& item : items) {
    if (Matches(value_of(item), c)) return true;
  }
  return false;
}

using Spanset = std::vector<uint32_t>;

Spanset Union(const Spanset& a, const Spanset& b) {
  Spanset out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool SameValue(const Resolved& a, const Resolved& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Resolved::Type::kString:
      return a.str() == b.str();
    case Resolved::Type::kDouble:
      return a.d == b.d;
    case Resolved::Type::kBool:
      return a.b == b.b;
    case Resolved::Type::kNil:
    case Resolved::Type::kOther:
      return true;
    default:
      return a.i == b.i;
  }
}

std::optional<double> Numeric(const Resolved& r) {
  if (r.type == Resolved::Type::kInt) return static_cast<double>(r.i);
  if (r.type == Resolved::Type::kDouble) return r.d;
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(std::span<const SpanRow> rows, const TraceFacts& facts) : rows_(rows), facts_(facts) {}

  Spanset Eval(const SpansetExpr& e) {
    switch (e.kind) {
      case SpansetExpr::Kind::kFilter:
        return Filter(e.filter, nullptr);
      case SpansetExpr::Kind::kAnd: {
        Spanset out;
        for (const SpansetExpr& c : e.children) {
          Spanset s = Eval(c);
          if (s.empty()) return {};
          out = out.empty() ? std::move(s) : Union(out, s);
        }
        return out;
      }
      case SpansetExpr::Kind::kOr: {
        Spanset out;
        for (const SpansetExpr& c : e.children) out = Union(out, Eval(c));
        return out;
      }
      case SpansetExpr::Kind::kStructural: {
        Spanset left = Eval(e.children[0]);
        Spanset right = Eval(e.children[1]);
        if (right.empty()) return {};
        if (!tree_) tree_.emplace(rows_);
        return tree_->Select(e.structural, left, right);
      }
      case SpansetExpr::Kind::kPipeline: {
        Spanset out;
        for (const Spanset& s : Pipeline(e)) out = Union(out, s);
        return out;
      }
    }
    return {};
  }

 private:
  Spanset Filter(const FilterExpr& f, const Spanset* within) {
    Spanset out;
    if (within == nullptr) {
      for (uint32_t i = 0; i < rows_.size(); ++i) {
        if (MatchesFilter(f, rows_[i], facts_)) out.push_back(i);
      }
    } else {
      for (uint32_t i : *within) {
        if (MatchesFilter(f, rows_[i], facts_)) out.push_back(i);
      }
    }
    return out;
  }

  Resolved Field(const FieldRef& f, uint32_t i) const {
    return Resolve(f.scope, f.name, f.intrinsic, rows_[i], facts_);
  }

  bool AggregatePasses(const PipelineStage& st, const Spanset& set) const {
    double acc = 0;
    size_t n = 0;
    if (st.aggregate == Aggregate::kCount) {
      acc = static_cast<double>(set.size());
      n = 1;
    } else {
      for (uint32_t i : set) {
        const std::optional<double> v = Numeric(Field(st.aggregate_field, i));
        if (!v) continue;
        if (n == 0) {
          acc = *v;
        } else if (st.aggregate == Aggregate::kMin) {
          acc = std::min(acc, *v);
        } else if (st.aggregate == Aggregate::kMax) {
          acc = std::max(acc, *v);
        } else {
          acc += *v;
        }
        ++n;
      }
      if (n == 0) return false;  // nothing to aggregate: no value to compare
      if (st.aggregate == Aggregate::kAvg) acc /= static_cast<double>(n);
    }
    return Compare(st.op, acc, st.literal.AsDouble());
  }

  std::vector<Spanset> GroupBy(const std::vector<FieldRef>& fields, const Spanset& set) const {
    std::vector<std::vector<Resolved>> keys;
    std::vector<Spanset> groups;
    std::vector<Resolved> key(fields.size());
    for (uint32_t i : set) {
      for (size_t f = 0; f < fields.size(); ++f) key[f] = Field(fields[f], i);
      size_t g = 0;
      for (; g < keys.size(); ++g) {
        if (std::equal(key.begin(), key.end(), keys[g].begin(), SameValue)) break;
      }
      if (g == keys.size()) {
        keys.push_back(key);
        groups.emplace_back();
      }
      groups[g].push_back(i);
    }
    return groups;
  }

  std::vector<Spanset> Pipeline(const SpansetExpr& e) {
    std::vector<Spanset> sets;
    Spanset input = Eval(e.children[0]);
    if (!input.empty()) sets.push_back(std::move(input));
    for (const PipelineStage& st : e.stages) {
      std::vector<Spanset> next;
      switch (st.kind) {
        case PipelineStage::Kind::kFilter:
          for (const Spanset& s : sets) {
            Spanset kept = Filter(st.filter, &s);
            if (!kept.empty()) next.push_back(std::move(kept));
          }
          break;
        case PipelineStage::Kind::kAggregate:
          for (Spanset& s : sets) {
            if (AggregatePasses(st, s)) next.push_back(std::move(s));
          }
          break;
        case PipelineStage::Kind::kBy:
          for (const Spanset& s : sets) {
            for (Spanset& g : GroupBy(st.fields, s)) next.push_back(std::move(g));
          }
          break;
        case PipelineStage::Kind::kSelect:
          next = std::move(sets);
          break;
        case PipelineStage::Kind::kCoalesce: {
          Spanset all;
          for (const Spanset& s : sets) all = Union(all, s);
          if (!all.empty()) next.push_back(std::move(all));
          break;
        }
      }
      sets = std::move(next);
      if (sets.empty()) break;
    }
    return sets;
  }

  std::span<const SpanRow> rows_;
  const TraceFacts& facts_;
  std::optional<internal::SpanTree> tree_;  // built on first structural operator
};

}  // namespace

bool MatchesCondition(const FieldCondition& c, const SpanRow& row, const TraceFacts& facts) {
  const otlp::Span& span = *row.span;
  if (c.intrinsic == Intrinsic::kEventName) {
    return AnyMatches(span.events, c, [](const otlp::SpanEvent& e) { return Str(e.name); });
  }
  if (c.intrinsic == Intrinsic::kNone && c.scope == Scope::kEvent) {
    return AnyMatches(span.events, c, [&](const otlp::SpanEvent& e) {
      return FromAny(otlp::FindAttribute(e.attributes, c.name));
    });
  }
  if (c.intrinsic == Intrinsic::kNone && c.scope == Scope::kLink) {
    return AnyMatches(span.links, c, [&](const otlp::SpanLink& l) {
      return FromAny(otlp::FindAttribute(l.attributes, c.name));
    });
  }
  return Matches(Resolve(c.scope, c.name, c.intrinsic, row, facts), c);
}

bool MatchesFilter(const FilterExpr& f, const SpanRow& row, const TraceFacts& facts) {
  switch (f.kind) {
    case FilterExpr::Kind::kConst:
      return f.const_value;
    case FilterExpr::Kind::kCondition:
      return MatchesCondition(f.condition, row, facts);
    case FilterExpr::Kind::kAnd:
      for (const FilterExpr& c : f.children) {
        if (!MatchesFilter(c, row, facts)) return false;
      }
      return true;
    case FilterExpr::Kind::kOr:
      for (const FilterExpr& c : f.children) {
        if (MatchesFilter(c, row, facts)) return true;
      }
      return false;
    case FilterExpr::Kind::kNot:
      return !MatchesFilter(f.children[0], row, facts);
  }
  return false;
}

TraceMatch Evaluate(const Query& query, std::span<const SpanRow> spans_of_one_trace,
                    const TraceFacts& facts) {
  TraceMatch m;
  if (spans_of_one_trace.empty()) return m;
  m.spans = Evaluator(spans_of_one_trace, facts).Eval(query.root);
  m.matched = !m.spans.empty();
  return m;
}

Result<FieldCondition> MakeCondition(Scope scope, std::string_view name, Op op, Value literal) {
  // Print the condition and parse it back: the parser owns the type rules and
  // regex compilation, so a hand-made condition behaves like a written one.
  FieldCondition c;
  c.scope = scope;
  c.name = std::string(name);
  c.op = op;
  c.literal = std::move(literal);
  if (scope == Scope::kIntrinsic || scope == Scope::kTrace) {
    c.intrinsic = LookupIntrinsic(name);
    if (scope == Scope::kTrace && IntrinsicScope(c.intrinsic) != Scope::kTrace) {
      c.intrinsic = LookupIntrinsic("trace:" + std::string(name));  // "duration" -> trace:duration
    }
    if (c.intrinsic == Intrinsic::kNone || IntrinsicScope(c.intrinsic) != scope) {
      return Status::InvalidArgument("unknown intrinsic \"" + std::string(name) + "\"");
    }
    c.name = std::string(IntrinsicName(c.intrinsic));
  }
  ASSIGN_OR_RETURN(Query q, Parse("{ " + ToString(c) + " }"));
  if (q.root.kind != SpansetExpr::Kind::kFilter ||
      q.root.filter.kind != FilterExpr::Kind::kCondition) {
    return Status::Internal("condition did not print as one condition");
  }
  return std::move(q.root.filter.condition);
}

}  // namespace quartet::traceql
