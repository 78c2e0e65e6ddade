// Fuzzes the SDK's DWARF line-table reader (sdk/profile/dwarf_lines.h). An
// input starting with the ELF magic is read as a whole ELF image (section
// headers, compressed sections); anything else is split into .debug_line_str
// and .debug_str (each prefixed by a 1-byte length) and .debug_line. Whatever
// parses must answer lookups with a file pointer that is null or names one of
// its files.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sdk/profile/dwarf_lines.h"

using quartet::profile_internal::CodeRange;
using quartet::profile_internal::DebugLineSections;
using quartet::profile_internal::LineTable;
using quartet::profile_internal::LineTableLimits;
using quartet::profile_internal::SourceLine;

namespace {

void Check(const LineTable& t, std::string_view in) {
  if (t.row_count() > 0 && t.file_count() == 0 && t.memory_bytes() == 0) std::abort();
  // Probe addresses taken from the input, and the ends of the range.
  uint64_t probes[] = {0, 1, 0x1000, ~uint64_t{0}, 0, 0};
  for (size_t i = 0; i + 8 <= in.size() && i < 16; i += 8) {
    uint64_t a = 0;
    for (int b = 0; b < 8; ++b) a |= uint64_t{static_cast<uint8_t>(in[i + b])} << (8 * b);
    probes[4 + i / 8] = a;
  }
  for (uint64_t a : probes) {
    SourceLine s;
    // A file pointer must name a live string (ASan checks the read).
    if (t.Lookup(a, &s) && s.file != nullptr && !s.file->empty() && (*s.file)[0] == '\0') {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  LineTableLimits limits;
  limits.max_table_bytes = 1u << 20;
  limits.max_section_bytes = 4u << 20;
  if (in.substr(0, 4) ==
      "\x7f"
      "ELF") {
    auto t = quartet::profile_internal::ParseElfLineTable(in, limits);
    if (t.ok()) Check(*t, in);
    return 0;
  }
  DebugLineSections s;
  std::string_view rest = in;
  for (std::string_view* part : {&s.line_str, &s.str}) {
    if (rest.empty()) break;
    size_t n = static_cast<uint8_t>(rest[0]);
    rest.remove_prefix(1);
    n = n < rest.size() ? n : rest.size();
    *part = rest.substr(0, n);
    rest.remove_prefix(n);
  }
  s.line = rest;
  auto all = quartet::profile_internal::ParseDebugLine(s, limits);
  if (all.ok()) Check(*all, in);
  const CodeRange code[] = {{0x1000, 0x100000}};
  auto some = quartet::profile_internal::ParseDebugLine(s, limits, code);
  if (some.ok()) Check(*some, in);
  // Filtering sequences may only drop rows, never fail where the whole passed.
  if (all.ok() != some.ok() && all.ok()) std::abort();
  return 0;
}
