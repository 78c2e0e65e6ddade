// Fuzzes the TraceQL parser and printer: arbitrary bytes must never crash or
// hang Parse, and whatever parses must print to a canonical string that
// parses back to an equal query printing the same string.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/query/traceql/parser.h"
#include "server/query/traceql/printer.h"
#include "server/query/traceql/pruning.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quartet::traceql;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = Parse(text);
  if (!q.ok()) return 0;
  const std::string printed = ToString(*q);
  auto again = Parse(printed);
  if (!again.ok()) {
    std::fprintf(stderr, "canonical form does not parse: %s\n%s\n", printed.c_str(),
                 std::string(again.status().message()).c_str());
    std::abort();
  }
  if (!(*again == *q) || ToString(*again) != printed) {
    std::fprintf(stderr, "round trip changed the query: %s -> %s\n", printed.c_str(),
                 ToString(*again).c_str());
    std::abort();
  }
  (void)PlanPruning(*q);
  return 0;
}
