// Fuzz target for wire/loki and wire/compress/snappy: every input goes through
// DecodePushJson, DecodePushProtobuf (raw, and after snappy decompression, as
// a server sees winston-loki bodies), ParseLabelSet and SnappyDecompress.
// Invariants: errors carry a message; whatever decodes re-encodes to bytes
// that decode to the same request (protobuf always; JSON for JSON input,
// whose strings are valid UTF-8); a parsed label set formats and re-parses to
// itself; a decompressed snappy block recompresses and decompresses to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/compress/snappy.h"
#include "wire/loki/push.h"

namespace {

using namespace quartet;

void CheckProtobuf(std::string_view input) {
  Result<loki::PushRequest> push = loki::DecodePushProtobuf(input);
  if (!push.ok()) {
    if (push.status().message().empty()) std::abort();
    return;
  }
  (void)loki::Validate(*push, loki::Limits{});
  Result<loki::PushRequest> back = loki::DecodePushProtobuf(loki::EncodePushProtobuf(*push));
  if (!back.ok() || !(*back == *push)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Result<loki::PushRequest> push = loki::DecodePushJson(input);
  if (!push.ok()) {
    if (push.status().message().empty()) std::abort();
  } else {
    (void)loki::Validate(*push, loki::Limits{});
    Result<loki::PushRequest> via_json = loki::DecodePushJson(loki::EncodePushJson(*push));
    if (!via_json.ok() || !(*via_json == *push)) std::abort();
    Result<loki::PushRequest> via_proto = loki::DecodePushProtobuf(loki::EncodePushProtobuf(*push));
    if (!via_proto.ok() || !(*via_proto == *push)) std::abort();
  }

  CheckProtobuf(input);

  Result<loki::Labels> labels = loki::ParseLabelSet(input);
  if (labels.ok()) {
    Result<loki::Labels> again = loki::ParseLabelSet(loki::FormatLabelSet(*labels));
    if (!again.ok() || !(*again == *labels)) std::abort();
  } else if (labels.status().message().empty()) {
    std::abort();
  }

  Result<std::string> raw = compress::SnappyDecompress(input, 1 << 20);
  if (raw.ok()) {
    Result<std::string> again = compress::SnappyDecompress(compress::SnappyCompress(*raw), 1 << 20);
    if (!again.ok() || *again != *raw) std::abort();
    CheckProtobuf(*raw);
  } else if (raw.status().code() != StatusCode::kDataLoss &&
             raw.status().code() != StatusCode::kResourceExhausted) {
    std::abort();
  }
  return 0;
}
