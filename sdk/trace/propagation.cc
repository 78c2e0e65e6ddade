// Inject/Extract: W3C traceparent, tracestate and baggage over any carrier.
#include "quartet/trace.h"
#include "wire/w3c/baggage.h"
#include "wire/w3c/traceparent.h"
#include "wire/w3c/tracestate.h"

namespace quartet {

void Inject(const Context& context, HeaderSetter set) noexcept {
  const SpanContext& sc = context.span_context();
  if (sc.valid()) {
    char traceparent[w3c::kTraceparentSize];
    w3c::FormatTraceparent(sc, traceparent);
    set("traceparent", std::string_view(traceparent, sizeof(traceparent)));
    if (sc.trace_state != nullptr && !sc.trace_state->empty()) set("tracestate", *sc.trace_state);
  }
  if (!context.baggage().empty()) {
    std::vector<w3c::BaggageMember> members;
    members.reserve(context.baggage().entries().size());
    for (const Baggage::Entry& e : context.baggage().entries())
      members.push_back({e.key, e.value, e.metadata});
    const std::string header = w3c::FormatBaggage(members);
    if (!header.empty()) set("baggage", header);
  }
}

Context Extract(HeaderGetter get) noexcept {
  Context context;
  Result<SpanContext> sc = w3c::ParseTraceparent(get("traceparent"));
  if (sc.ok()) {
    // An invalid tracestate is dropped on its own; the trace continues.
    const std::string_view raw_state = get("tracestate");
    if (!raw_state.empty()) {
      Result<std::string> state = w3c::NormalizeTraceState(raw_state);
      if (state.ok() && !state->empty())
        sc->trace_state = std::make_shared<const std::string>(std::move(*state));
    }
    context = context.WithSpanContext(*sc);
  }
  const std::string_view raw_baggage = get("baggage");
  if (!raw_baggage.empty()) {
    w3c::BaggageParse parsed = w3c::ParseBaggage(raw_baggage);
    Baggage baggage;
    for (w3c::BaggageMember& m : parsed.members)
      baggage = baggage.Set(m.key, m.value, m.properties);
    context = context.WithBaggage(std::move(baggage));
  }
  return context;
}

}  // namespace quartet
