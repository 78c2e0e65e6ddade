// Fuzzes the Prometheus exposition parser (wire/prometheus/exposition_parser.h)
// in both formats: the first byte picks the format, the rest is the scrape
// body. Every entry's views are read in full, so a view past the input or
// into reallocated scratch memory is caught by ASan.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/prometheus/exposition_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using quartet::prometheus::Format;
  Format format = (data[0] & 1) ? Format::kOpenMetrics1 : Format::kText004;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  quartet::prometheus::ExpositionParser parser(body, format);
  quartet::prometheus::ExpositionEntry e;
  size_t sum = 0;
  while (parser.Next(&e)) {
    sum += e.name.size() + e.text.size() + e.family.size();
    for (const auto& l : e.labels) {
      for (char c : l.name) sum += static_cast<unsigned char>(c);
      for (char c : l.value) sum += static_cast<unsigned char>(c);
    }
    if (e.has_exemplar) {
      for (const auto& l : e.exemplar_labels) sum += l.name.size() + l.value.size();
    }
  }
  if (!parser.status().ok() && parser.status().message().empty()) __builtin_trap();
  return sum == 0xdeadbeef;  // keep the reads
}
