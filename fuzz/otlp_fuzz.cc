// Fuzzes the OTLP decoders: the input is decoded as a trace, log and metric
// request (protobuf and JSON) and as an export response and google.rpc.Status. Whatever decodes
// must re-encode and decode again to the same model (the round trip the
// server relies on when it forwards data).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/otlp/decode.h"
#include "wire/otlp/decode_json.h"
#include "wire/otlp/encode_model.h"
#include "wire/otlp/response.h"

namespace {

template <typename T, typename Encode, typename Decode>
void RoundTrip(const quartet::Result<T>& decoded, Encode encode, Decode decode) {
  if (!decoded.ok()) return;
  auto again = decode(encode(*decoded));
  // NaN doubles compare unequal to themselves, so only require success.
  if (!again.ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace quartet::otlp;
  RoundTrip(DecodeTraces(in), EncodeTraces, DecodeTraces);
  RoundTrip(DecodeLogs(in), EncodeLogs, DecodeLogs);
  RoundTrip(DecodeMetrics(in), EncodeMetrics, DecodeMetrics);
  // The same bytes as OTLP/JSON; what decodes must encode to protobuf that
  // decodes.
  RoundTrip(DecodeTracesJson(in), EncodeTraces, DecodeTraces);
  RoundTrip(DecodeLogsJson(in), EncodeLogs, DecodeLogs);
  RoundTrip(DecodeMetricsJson(in), EncodeMetrics, DecodeMetrics);
  (void)DecodeExportResponse(in);
  (void)DecodeRpcStatus(in);
  return 0;
}
