// Fuzzes the pprof decoder (wire/pprof): raw and gzipped profiles. Whatever
// decodes must re-encode and decode again to the same string table and
// counts (the decoder only accepts what the encoder can say).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/pprof/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  quartet::pprof::DecodeLimits limits;
  limits.max_uncompressed = 4u << 20;
  auto p = quartet::pprof::DecodeMaybeGzip(in, limits);
  if (!p.ok()) return 0;
  auto again = quartet::pprof::Decode(quartet::pprof::Encode(*p));
  if (!again.ok() || again->string_table != p->string_table ||
      again->sample.size() != p->sample.size() || again->location.size() != p->location.size()) {
    std::abort();
  }
  for (const auto& s : p->sample) {
    for (const auto& l : s.label) (void)p->StringAt(l.key);
  }
  return 0;
}
