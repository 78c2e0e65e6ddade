// LineTable: the DWARF line table of one ELF object (its .debug_line, DWARF
// versions 2 to 5), reduced to what a profiler needs: a sorted list of
// address ranges, each with the source file (directory joined) and line of
// the instructions in it. Addresses are link-time (the ELF file's virtual
// addresses): subtract an object's load bias from a runtime pc first.
//
// The reader treats the file as untrusted: every malformed input is an error
// Status, never a read out of bounds. Sections compressed with zlib
// (SHF_COMPRESSED / ELFCOMPRESS_ZLIB, and the older .zdebug_* form) are
// inflated; zstd-compressed ones are reported as unsupported. Memory is
// bounded by LineTableLimits: a table that would grow past its bound is
// ResourceExhausted rather than kept in part.
//
// The table does not read .debug_info, so an inlined call's instructions
// carry the inlined callee's file:line (as `addr2line` without -f does), and
// a DWARF 2-4 file relative to the compilation directory stays relative.
//
// Thread-safety: a built LineTable is immutable; Lookup is safe from any
// thread. The free functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::profile_internal {

struct LineTableLimits {
  size_t max_table_bytes = 64u << 20;     // rows and file names kept
  size_t max_section_bytes = 256u << 20;  // one section, once decompressed
};

// The sections a line table is made from. `line_str` (.debug_line_str) and
// `str` (.debug_str) may be empty when no unit refers to them.
struct DebugLineSections {
  std::string_view line;
  std::string_view line_str;
  std::string_view str;
};

// A range of link-time code addresses [start, limit).
struct CodeRange {
  uint64_t start = 0;
  uint64_t limit = 0;
};

// Where an instruction came from. `file` is null when the line program named
// no file it had declared; `line` 0 means "no source line" (DWARF's own 0).
struct SourceLine {
  const std::string* file = nullptr;
  uint32_t line = 0;
};

class LineTable {
 public:
  LineTable() = default;
  LineTable(LineTable&&) = default;
  LineTable& operator=(LineTable&&) = default;

  // The source line of the instruction at link-time `address`; false when no
  // sequence of the line program covers it. The file pointer stays valid for
  // the table's lifetime.
  bool Lookup(uint64_t address, SourceLine* out) const;

  size_t row_count() const { return rows_.size(); }
  size_t file_count() const { return files_.size(); }
  // Approximate heap bytes held (what LineTableLimits::max_table_bytes bounds).
  size_t memory_bytes() const;

  // Row file ids that name no file: the end of a sequence, and a file index
  // the unit did not declare.
  static constexpr uint32_t kGap = 0xffffffffu;
  static constexpr uint32_t kNoFile = 0xfffffffeu;

 private:
  friend class LineTableBuilder;
  // One row covers [address, next row's address). A row with file kGap ends
  // a sequence: the addresses after it (up to the next row) have no line.
  struct Row {
    uint64_t address;
    uint32_t file;
    uint32_t line;
  };

  std::vector<Row> rows_;  // sorted by address, no two equal addresses
  std::vector<std::string> files_;
};

// Builds the table of every unit in `sections.line`. When `code` is not
// empty, only sequences that start inside one of its ranges are kept: the
// linker leaves the sequences of discarded functions (COMDAT duplicates,
// --gc-sections) at address 0 or a tombstone, where they would shadow real
// code.
Result<LineTable> ParseDebugLine(const DebugLineSections& sections, const LineTableLimits& limits,
                                 std::span<const CodeRange> code = {});

// Reads the line table of the ELF file at `path` (64-bit little-endian).
// When the file has no .debug_line and a GNU build id, the separate debug
// file /usr/lib/debug/.build-id/xx/yyyy.debug is tried (Debian's -dbg and
// -dbgsym packages). When `expected_build_id` (lowercase hex) is not empty,
// a file with another build id is FailedPrecondition: the object on disk is
// not the one loaded. No debug info at all is NotFound.
Result<LineTable> ReadElfLineTable(const std::string& path, std::string_view expected_build_id,
                                   const LineTableLimits& limits);

// The same for an ELF image in memory (no separate debug file is looked
// for): what the fuzz target feeds.
Result<LineTable> ParseElfLineTable(std::string_view elf, const LineTableLimits& limits);

}  // namespace quartet::profile_internal
