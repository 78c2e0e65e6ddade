// Symbolizer: turns instruction addresses of this process into demangled
// function names and pprof mappings. It lists the loaded objects with
// dl_iterate_phdr (the executable and every shared object, each with its
// executable segments and GNU build id from PT_NOTE), reads each object's ELF
// .symtab and .dynsym from its file on disk (so static and non-exported
// functions have names whenever the binary is not stripped), and demangles
// with abi::__cxa_demangle. Addresses in no known function keep only their
// address and mapping: never a guessed name. Where the object has DWARF line
// info (its own .debug_line, or a separate debug file found by build id),
// an address also gets its source file and line: each object's line table
// (dwarf_lines.h) is read on the first address resolved in it, and kept
// under a per-object and a total memory bound (objects past them, or with
// malformed DWARF, get names only and are counted in line_stats()).
//
// Runs outside the signal handler (it allocates and reads files).
// Thread-safety: all methods take an internal mutex; safe to share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/profile/dwarf_lines.h"

namespace quartet::profile_internal {

struct Symbol {
  uintptr_t start = 0;  // runtime address
  uintptr_t size = 0;   // 0 when the symbol table did not say
  std::string mangled;
  mutable std::string demangled;  // filled on first use
};

struct Module {
  std::string path;             // file name as loaded ("/proc/self/exe" resolved)
  std::string build_id;         // lowercase hex, empty when the object has none
  uintptr_t bias = 0;           // load bias (dlpi_addr)
  std::vector<Symbol> symbols;  // sorted by start
  // The DWARF line table, read on first use; null when the object has none
  // (or it could not be kept).
  mutable std::unique_ptr<LineTable> lines;
  mutable bool lines_read = false;
};

// One executable segment of a module: what pprof calls a mapping.
struct Segment {
  uintptr_t start = 0;
  uintptr_t limit = 0;
  uint64_t file_offset = 0;
  const Module* module = nullptr;
};

// What an address resolved to. `segment` is null for an address in no loaded
// object; `symbol` is null when no function covers it.
struct Resolved {
  const Segment* segment = nullptr;
  const Symbol* symbol = nullptr;
  const std::string* name = nullptr;  // demangled (or mangled when demangling fails)
  // Source position, only with a symbol. `file` is null without line info;
  // an address the line table does not cover gets its function's file and
  // line 0. `start_line` is the line of the function's entry when it is in
  // the same file (0 otherwise: e.g. `file` is an inlined callee's header).
  const std::string* file = nullptr;
  uint32_t line = 0;
  uint32_t start_line = 0;
};

// What became of the line tables of the objects seen so far.
struct LineStats {
  size_t with_lines = 0;     // table read and kept
  size_t without_lines = 0;  // no debug info (stripped, vDSO)
  size_t over_bound = 0;     // larger than a bound: names only
  size_t failed = 0;         // malformed or unreadable DWARF
  size_t table_bytes = 0;    // memory held by kept tables
};

struct SymbolizerOptions {
  bool read_lines = true;
  LineTableLimits line_limits;               // per object
  size_t max_total_line_bytes = 256u << 20;  // every object's table together
};

class Symbolizer {
 public:
  Symbolizer() = default;
  explicit Symbolizer(const SymbolizerOptions& options) : options_(options) {}
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Resolves `pc`. An address outside every known segment triggers one
  // re-scan of the loaded objects (a library dlopen'ed since) per call to
  // BeginBatch(); a re-scan also forgets objects unloaded since. Pointers
  // stay valid for the Symbolizer's lifetime.
  Resolved Resolve(uintptr_t pc);
  // Allows one more re-scan: call once per profile being built.
  void BeginBatch();

  // Number of modules known (for tests).
  size_t module_count();
  LineStats line_stats();

 private:
  void ScanLocked();
  const Segment* FindLocked(uintptr_t pc) const;
  const LineTable* LinesLocked(const Module& module);

  const SymbolizerOptions options_;
  std::mutex mu_;
  LineStats line_stats_;
  bool scanned_this_batch_ = false;
  struct Loaded {
    std::unique_ptr<Module> module;
    std::vector<Segment> segments;
  };
  // Every object ever seen, by path + bias + build id; kept after dlclose so
  // that Resolved pointers stay valid.
  std::map<std::string, Loaded> modules_;
  // The executable segments of the objects loaded at the last scan, by start
  // (an unloaded library's range may be reused by another).
  std::map<uintptr_t, const Segment*> segments_;
};

// Reads the function symbols (STT_FUNC, STT_GNU_IFUNC) of the ELF file at
// `path` from .symtab and .dynsym, relocated by `bias`, sorted and without
// duplicates. Malformed or missing files give no symbols. When
// `expected_build_id` (lowercase hex) is not empty, a file whose GNU build id
// differs (the binary was replaced on disk since it was loaded) gives no
// symbols either: wrong names are worse than addresses.
std::vector<Symbol> ReadElfFunctionSymbols(const std::string& path, uintptr_t bias,
                                           std::string_view expected_build_id = {});

// The demangled form of `mangled`, or `mangled` itself when it is not a
// mangled C++ name.
std::string Demangle(const std::string& mangled);

}  // namespace quartet::profile_internal
