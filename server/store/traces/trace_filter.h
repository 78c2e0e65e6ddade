// The store-side tests of a TraceFilter (interface.h): on a trace's summary
// (the correlation index entry) and on single spans. Used on the in-memory
// head and on spans read back from blocks, so both answer alike.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "server/store/interface.h"
#include "wire/otlp/model.h"

namespace quartet::store {

// The service.name of a resource, "" when absent or not a string.
std::string_view ServiceName(const otlp::Resource& resource);

// The text of a scalar attribute value for tag-value listings (as
// otlp::AnyValueText spells it); "" for arrays, maps and empty values, which
// are not listed.
std::string TagValueText(const otlp::AnyValue& value);

// True when the whole-trace conditions of `filter` hold for `summary`
// (time range overlap, trace duration bounds, root name/route/service).
bool SummaryMatches(const TraceFilter& filter, const TraceSummary& summary);

// True when the span-level conditions of `filter` hold for one span.
bool SpanMatches(const TraceFilter& filter, const otlp::Resource& resource, const otlp::Span& span);

// True when `value` is an int or double satisfying `c` (a string, absent or
// other value never does).
bool NumberSatisfies(const otlp::AnyValue* value, const NumericAttributeCondition& c);

// True when `filter` has span-level conditions at all (when it has none,
// every trace whose summary matches is a candidate).
bool HasSpanConditions(const TraceFilter& filter);

// Folds one span into a trace's summary (start/end, root facts, error,
// services, count). The root is the span without a parent.
void AddSpanToSummary(const otlp::Resource& resource, const otlp::Span& span,
                      TraceSummary* summary);

}  // namespace quartet::store
