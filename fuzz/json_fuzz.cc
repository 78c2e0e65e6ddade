// Fuzz target for wire/json: any input either fails to parse with a Status,
// or parses to a DOM whose serialization re-parses to the same DOM and
// serializes to the same bytes (the writer's output is a fixed point).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/json/json_parser.h"
#include "wire/json/json_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quartet::json;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto first = Parse(input, {.max_bytes = 1 << 20, .max_depth = 64});
  if (!first.ok()) {
    if (first.status().message().empty()) std::abort();
    return 0;
  }
  const std::string text = Serialize(*first);
  auto second = Parse(text, {.max_bytes = 2 << 20, .max_depth = 64, .reject_invalid_utf8 = true});
  if (!second.ok() || !(*first == *second) || Serialize(*second) != text) std::abort();

  // The escaper alone: any bytes as a string value must parse back.
  std::string quoted;
  AppendString(&quoted, input.substr(0, 4096));
  if (!Parse(quoted, {.reject_invalid_utf8 = true}).ok()) std::abort();
  return 0;
}
