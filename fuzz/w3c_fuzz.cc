// Fuzz target for the W3C codecs: traceparent, tracestate and baggage parsing
// must never crash, and whatever parses must survive a format/parse round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/w3c/baggage.h"
#include "wire/w3c/traceparent.h"
#include "wire/w3c/tracestate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quartet::w3c;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  auto tp = ParseTraceparent(in);
  if (tp.ok()) {
    auto again = ParseTraceparent(FormatTraceparent(*tp));
    if (!again.ok() || !(again->trace_id == tp->trace_id) || !(again->span_id == tp->span_id) ||
        again->sampled() != tp->sampled()) {
      std::abort();
    }
  }

  auto ts = NormalizeTraceState(in);
  if (ts.ok()) {
    auto again = NormalizeTraceState(*ts);
    if (!again.ok() || *again != *ts) std::abort();
  }

  BaggageParse bag = ParseBaggage(in);
  const std::string header = FormatBaggage(bag.members);
  if (header.size() > kMaxBaggageBytes) std::abort();
  BaggageParse again = ParseBaggage(header);
  if (again.invalid != 0 || again.members != bag.members) std::abort();
  return 0;
}
