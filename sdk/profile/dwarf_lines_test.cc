#include "sdk/profile/dwarf_lines.h"

#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#include "sdk/profile/symbolizer.h"

namespace quartet::profile_internal {

// A function whose lines the test knows: its body spans kBodyFirst..kBodyLast.
constexpr int kBodyFirst = __LINE__ + 2;
__attribute__((noinline)) int KnownLines(int x) {
  for (int i = 0; i < 3; ++i) {
    asm volatile("" : "+r"(x));
    x = x * 7 + i;
  }
  return x;
}
constexpr int kBodyLast = __LINE__ - 1;

namespace {

// Assembles line-program bytes, little-endian.
struct Bytes {
  std::string b;
  Bytes& U8(uint8_t v) {
    b.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& Uleb(uint64_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      U8(byte | (v != 0 ? 0x80 : 0));
    } while (v != 0);
    return *this;
  }
  Bytes& Sleb(int64_t v) {
    for (;;) {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      bool done = (v == 0 && (byte & 0x40) == 0) || (v == -1 && (byte & 0x40) != 0);
      U8(byte | (done ? 0 : 0x80));
      if (done) return *this;
    }
  }
  Bytes& Str(std::string_view s) {
    b.append(s);
    return U8(0);
  }
  Bytes& Raw(std::string_view s) {
    b.append(s);
    return *this;
  }
  // Line program opcodes.
  Bytes& SetAddress(uint64_t a) { return U8(0).Uleb(9).U8(2).Fixed(a, 8); }
  Bytes& EndSequence() { return U8(0).Uleb(1).U8(1); }
  Bytes& Copy() { return U8(1); }
  Bytes& AdvancePc(uint64_t n) { return U8(2).Uleb(n); }
  Bytes& AdvanceLine(int64_t n) { return U8(3).Sleb(n); }
  Bytes& SetFile(uint64_t n) { return U8(4).Uleb(n); }
};

constexpr int kLineBase = -5;
constexpr int kLineRange = 14;
constexpr int kOpcodeBase = 13;

// The special opcode that advances the address by `addr` and the line by `line`.
uint8_t Special(int addr, int line) {
  return static_cast<uint8_t>((line - kLineBase) + kLineRange * addr + kOpcodeBase);
}

// A whole unit of `version` with `tables` (the directory and file tables,
// already encoded) and `program`.
std::string Unit(int version, const std::string& tables, const std::string& program) {
  Bytes header;
  header.U8(1);                    // minimum_instruction_length
  if (version >= 4) header.U8(1);  // maximum_operations_per_instruction
  header.U8(1).U8(static_cast<uint8_t>(kLineBase)).U8(kLineRange).U8(kOpcodeBase);
  for (uint8_t n : {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1}) header.U8(n);
  header.Raw(tables);
  Bytes unit;
  unit.Fixed(version, 2);
  if (version >= 5) unit.U8(8).U8(0);
  unit.Fixed(header.b.size(), 4).Raw(header.b).Raw(program);
  return Bytes().Fixed(unit.b.size(), 4).Raw(unit.b).b;
}

// DWARF 2-4 tables: include directories, then files (name, dir, mtime, length).
std::string V4Tables() {
  return Bytes()
      .Str("/src")
      .Str("rel/dir")
      .U8(0)
      .Str("a.cc")
      .Uleb(1)
      .Uleb(0)
      .Uleb(0)
      .Str("b.h")
      .Uleb(0)
      .Uleb(0)
      .Uleb(0)
      .Str("c.h")
      .Uleb(2)
      .Uleb(0)
      .Uleb(0)
      .U8(0)
      .b;
}

struct Want {
  uint64_t address;
  bool found;
  std::string file;  // "" with found: no file
  uint32_t line;
};

void ExpectLookups(const LineTable& t, const std::vector<Want>& wants) {
  for (const Want& w : wants) {
    SourceLine got;
    bool found = t.Lookup(w.address, &got);
    ASSERT_EQ(found, w.found) << std::hex << w.address;
    if (!found) continue;
    EXPECT_EQ(got.file == nullptr ? "" : *got.file, w.file) << std::hex << w.address;
    EXPECT_EQ(got.line, w.line) << std::hex << w.address;
  }
}

TEST(DwarfLines, RunsTheV4StateMachine) {
  std::string program = Bytes()
                            .SetAddress(0x1000)
                            .AdvanceLine(9)
                            .Copy()              // 0x1000 a.cc:10
                            .U8(Special(4, 1))   // 0x1004 a.cc:11
                            .SetFile(2)          //
                            .AdvancePc(8)        //
                            .Copy()              // 0x100c b.h:11
                            .SetFile(3)          //
                            .U8(8)               // const_add_pc: +17
                            .AdvanceLine(-6)     //
                            .Copy()              // 0x101d rel/dir/c.h:5
                            .U8(9)               // fixed_advance_pc
                            .Fixed(0x100, 2)     //
                            .SetFile(9)          // undeclared file
                            .Copy()              // 0x111d ?:5
                            .AdvancePc(3)        //
                            .EndSequence()       // ends at 0x1120
                            .SetAddress(0x3000)  //
                            .U8(0)
                            .Uleb(2)
                            .U8(4)
                            .U8(7)  // set_discriminator 7
                            .U8(0)
                            .Uleb(3)
                            .U8(0x80)
                            .U8(1)
                            .U8(2)  // unknown extended
                            .U8(7)
                            .U8(6)
                            .U8(10)
                            .U8(11)  // no-operand opcodes
                            .U8(5)
                            .Uleb(12)
                            .U8(12)
                            .Uleb(1)            // set_column, set_isa
                            .Copy()             // 0x3000 a.cc:1
                            .U8(Special(2, 0))  // same line: merged
                            .U8(Special(0, 3))  // 0x3002 a.cc:4
                            .U8(Special(0, 1))  // 0x3002 a.cc:5 (last one wins)
                            .AdvancePc(2)
                            .EndSequence()
                            .b;
  auto t = ParseDebugLine({Unit(4, V4Tables(), program), {}, {}}, {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ExpectLookups(*t, {
                        {0x0fff, false, "", 0},
                        {0x1000, true, "/src/a.cc", 10},
                        {0x1003, true, "/src/a.cc", 10},
                        {0x1004, true, "/src/a.cc", 11},
                        {0x100b, true, "/src/a.cc", 11},
                        {0x100c, true, "b.h", 11},  // directory 0: comp dir, unknown
                        {0x101d, true, "rel/dir/c.h", 5},
                        {0x111c, true, "rel/dir/c.h", 5},
                        {0x111d, true, "", 5},
                        {0x111f, true, "", 5},
                        {0x1120, false, "", 0},
                        {0x2fff, false, "", 0},
                        {0x3000, true, "/src/a.cc", 1},
                        {0x3001, true, "/src/a.cc", 1},
                        {0x3002, true, "/src/a.cc", 5},
                        {0x3003, true, "/src/a.cc", 5},
                        {0x3004, false, "", 0},
                    });
  EXPECT_EQ(t->file_count(), 3u);
}

TEST(DwarfLines, ReadsV5EntryFormats) {
  std::string line_str = std::string("\0/comp\0inc\0", 11);
  std::string str = std::string("xx\0x.h\0", 7);
  std::string md5(16, '\x5a');
  std::string tables = Bytes()
                           .U8(1)  // directory format: path as line_strp
                           .Uleb(1)
                           .Uleb(0x1f)
                           .Uleb(2)
                           .Fixed(1, 4)  // "/comp"
                           .Fixed(7, 4)  // "inc"
                           .U8(3)        // file format: path, dir (udata), MD5
                           .Uleb(1)
                           .Uleb(0x08)
                           .Uleb(2)
                           .Uleb(0x0f)
                           .Uleb(5)
                           .Uleb(0x1e)
                           .Uleb(3)
                           .Str("main.cc")
                           .Uleb(0)
                           .Raw(md5)
                           .Str("x.h")
                           .Uleb(1)
                           .Raw(md5)
                           .Str("/abs/y.h")
                           .Uleb(0)
                           .Raw(md5)
                           .b;
  std::string program = Bytes()
                            .SetAddress(0x5000)
                            .SetFile(0)
                            .Copy()  // 0x5000 /comp/main.cc:1
                            .SetFile(1)
                            .U8(Special(4, 2))  // 0x5004 /comp/inc/x.h:3
                            .SetFile(2)
                            .U8(Special(4, 2))  // 0x5008 /abs/y.h:5
                            .AdvancePc(4)
                            .EndSequence()
                            .b;
  auto t = ParseDebugLine({Unit(5, tables, program), line_str, str}, {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ExpectLookups(*t, {
                        {0x5000, true, "/comp/main.cc", 1},
                        {0x5004, true, "/comp/inc/x.h", 3},
                        {0x5008, true, "/abs/y.h", 5},
                        {0x500c, false, "", 0},
                    });

  // The same file names through .debug_str (DW_FORM_strp).
  std::string strp_tables = tables;
  strp_tables[2] = 0x0e;  // directory path form: strp, into `str`
  std::string dirs_in_str = std::string("\0/comp\0inc\0", 11);
  auto t2 = ParseDebugLine({Unit(5, strp_tables, program), {}, dirs_in_str}, {});
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  ExpectLookups(*t2, {{0x5004, true, "/comp/inc/x.h", 3}});
}

TEST(DwarfLines, SequencesMeetAndDiscardedCodeIsDropped) {
  std::string program = Bytes()
                            .SetAddress(0x2000)
                            .Copy()
                            .AdvancePc(0x10)
                            .AdvanceLine(5)
                            .Copy()         // at the end address: covers nothing
                            .EndSequence()  // [0x2000, 0x2010) line 1
                            .SetAddress(0x2010)
                            .AdvanceLine(41)
                            .Copy()
                            .AdvancePc(0x10)
                            .AdvanceLine(1)
                            .Copy()         // likewise
                            .EndSequence()  // [0x2010, 0x2020) line 42
                            .SetAddress(0)  // a discarded function's copy
                            .AdvanceLine(99)
                            .Copy()
                            .AdvancePc(0x3000)
                            .EndSequence()
                            .SetAddress(0x4000)  // never ended: dropped
                            .Copy()
                            .b;
  std::string unit = Unit(3, V4Tables(), program);
  CodeRange code[] = {{0x1000, 0x3000}};
  auto t = ParseDebugLine({unit, {}, {}}, {}, code);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ExpectLookups(*t, {
                        {0x0500, false, "", 0},
                        {0x200f, true, "/src/a.cc", 1},
                        {0x2010, true, "/src/a.cc", 42},
                        {0x201f, true, "/src/a.cc", 42},
                        {0x2020, false, "", 0},
                        {0x4000, false, "", 0},
                    });
  // Without code ranges the address-0 copy stays (and shadows nothing here).
  auto all = ParseDebugLine({unit, {}, {}}, {});
  ASSERT_TRUE(all.ok());
  ExpectLookups(*all, {{0x0500, true, "/src/a.cc", 100}, {0x2010, true, "/src/a.cc", 42}});
  // Two units back to back.
  auto two = ParseDebugLine({unit + unit, {}, {}}, {}, code);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ExpectLookups(*two, {{0x2010, true, "/src/a.cc", 42}});
}

TEST(DwarfLines, MalformedInputIsAnError) {
  std::string good_program = Bytes().SetAddress(0x1000).Copy().AdvancePc(4).EndSequence().b;
  std::string good = Unit(4, V4Tables(), good_program);
  ASSERT_TRUE(ParseDebugLine({good, {}, {}}, {}).ok());
  auto with = [&](size_t at, uint8_t v) {
    std::string s = good;
    s[at] = static_cast<char>(v);
    return s;
  };
  // Offsets in a v4 unit: 0 unit_length, 4 version, 6 header_length,
  // 10 min_inst, 11 max_ops, 12 default_is_stmt, 13 line_base,
  // 14 line_range, 15 opcode_base.
  std::string v5_bad_form =
      Unit(5, Bytes().U8(1).Uleb(1).Uleb(0x99).Uleb(1).U8(0).U8(0).Uleb(0).b, "");
  std::string v5_bad_strp =
      Unit(5, Bytes().U8(1).Uleb(1).Uleb(0x1f).Uleb(1).Fixed(500, 4).U8(0).Uleb(0).b, "");
  std::string v5_huge_count = Unit(5, Bytes().U8(1).Uleb(1).Uleb(0x08).Uleb(1u << 30).b, "");
  struct Case {
    const char* name;
    std::string bytes;
    std::string line_str;
  };
  const Case cases[] = {
      {"version 1", with(4, 1), ""},
      {"version 6", with(4, 6), ""},
      {"line_range 0", with(14, 0), ""},
      {"opcode_base 0", with(15, 0), ""},
      {"unit_length past the end", with(0, 0xff), ""},
      {"reserved unit_length", Bytes().Fixed(0xfffffff5u, 4).Raw(good.substr(4)).b, ""},
      {"header_length past the unit", with(7, 0x7f), ""},
      {"short unit", Bytes().Fixed(1, 4).U8(4).b, ""},
      {"set_address of 3 bytes",
       Unit(4, V4Tables(), Bytes().U8(0).Uleb(4).U8(2).Fixed(1, 3).EndSequence().b), ""},
      {"extended opcode past the end", Unit(4, V4Tables(), Bytes().U8(0).Uleb(50).U8(1).b), ""},
      {"extended opcode of length 0", Unit(4, V4Tables(), Bytes().U8(0).Uleb(0).b), ""},
      {"truncated advance_pc", Unit(4, V4Tables(), Bytes().U8(2).U8(0x80).b), ""},
      {"overlong uleb", Unit(4, V4Tables(), Bytes().U8(2).Raw(std::string(10, '\xff')).U8(0x7f).b),
       ""},
      {"truncated fixed_advance_pc", Unit(4, V4Tables(), Bytes().U8(9).U8(1).b), ""},
      {"unterminated include_directories", Unit(4, "/src", ""), ""},
      {"unsupported form", v5_bad_form, ""},
      {"line_strp past .debug_line_str", v5_bad_strp, "abc"},
      {"entry count past the header", v5_huge_count, ""},
  };
  for (const Case& c : cases) {
    auto t = ParseDebugLine({c.bytes, c.line_str, {}}, {});
    EXPECT_FALSE(t.ok()) << c.name;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << c.name;
      EXPECT_NE(t.status().message().find(".debug_line unit at offset"), std::string::npos)
          << t.status().ToString();
    }
  }
  // Every truncation of a valid section either parses or is an error (under
  // ASan: never a read past the end).
  std::string two = good + Unit(5,
                                Bytes()
                                    .U8(1)
                                    .Uleb(1)
                                    .Uleb(0x08)
                                    .Uleb(1)
                                    .Str("/d")
                                    .U8(2)
                                    .Uleb(1)
                                    .Uleb(0x08)
                                    .Uleb(2)
                                    .Uleb(0x0b)
                                    .Uleb(1)
                                    .Str("f.cc")
                                    .U8(0)
                                    .b,
                                good_program);
  ASSERT_TRUE(ParseDebugLine({two, {}, {}}, {}).ok());
  for (size_t n = 0; n < two.size(); ++n) {
    std::string cut = two.substr(0, n);  // its own allocation: ASan sees the end
    auto t = ParseDebugLine({cut, {}, {}}, {});
    if (n != 0 && n != good.size()) {
      EXPECT_FALSE(t.ok()) << n;
    }
  }
}

TEST(DwarfLines, TableLargerThanTheBoundIsResourceExhausted) {
  Bytes program;
  program.SetAddress(0x1000);
  for (int i = 0; i < 1000; ++i) program.U8(Special(1, 1));
  program.AdvancePc(1).EndSequence();
  std::string unit = Unit(4, V4Tables(), program.b);
  auto t = ParseDebugLine({unit, {}, {}}, {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->row_count(), 1001u);
  LineTableLimits small;
  small.max_table_bytes = 4096;  // ~250 rows
  auto capped = ParseDebugLine({unit, {}, {}}, small);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.status().code(), StatusCode::kResourceExhausted);
}

// The fuzz target's ELF seeds (a small C file built as a shared object
// with -g: DWARF 4, 5, and 5 with zlib-compressed sections) parse to the
// file and lines of its code, t.c lines 1-6 at 0x400000 and up.
TEST(DwarfLinesElf, ParsesTheFuzzSeeds) {
  const char* src = getenv("QUARTET_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "run through ctest";
  std::string dir = std::string(src) + "/fuzz/corpus/dwarf_lines_fuzz/";
  struct Case {
    const char* name;
    const char* file;
  };
  const Case cases[] = {
      {"elf_v5.so", "/tmp/dwarfseed/t.c"},
      {"elf_v5_zlib.so", "/tmp/dwarfseed/t.c"},
      {"elf_v4.so", "t.c"},  // DWARF 4: the compilation directory is in .debug_info
  };
  for (const Case& c : cases) {
    std::ifstream in(dir + c.name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty()) << c.name;
    auto t = ParseElfLineTable(bytes, {});
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status().ToString();
    int hits = 0;
    for (uint64_t a = 0x400000; a < 0x401000; ++a) {
      SourceLine l;
      if (!t->Lookup(a, &l)) continue;
      ++hits;
      ASSERT_NE(l.file, nullptr) << c.name;
      EXPECT_EQ(*l.file, c.file) << c.name;
      EXPECT_GE(l.line, 1u);
      EXPECT_LE(l.line, 6u);
    }
    EXPECT_GT(hits, 20) << c.name;
  }
}

// --- The real executable (built with -g) ---

uintptr_t ExeBias() {
  uintptr_t bias = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* arg) {
        *static_cast<uintptr_t*>(arg) = info->dlpi_addr;
        return 1;  // the first object is the executable
      },
      &bias);
  return bias;
}

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
}

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

std::string Base(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

TEST(DwarfLinesElf, FindsTheLinesOfAFunctionInThisBinary) {
  ASSERT_NE(KnownLines(1), 0);
  auto t = ReadElfLineTable(SelfPath(), {}, {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  uintptr_t fn = reinterpret_cast<uintptr_t>(&KnownLines) - ExeBias();
  SourceLine got;
  ASSERT_TRUE(t->Lookup(fn, &got));
  ASSERT_NE(got.file, nullptr);
  EXPECT_TRUE(got.file->ends_with("/sdk/profile/dwarf_lines_test.cc")) << *got.file;
  EXPECT_EQ(got.file->front(), '/') << "DWARF 5 joins the compilation directory";
  EXPECT_GE(got.line, static_cast<uint32_t>(kBodyFirst - 1));
  EXPECT_LE(got.line, static_cast<uint32_t>(kBodyLast));
  EXPECT_LT(t->memory_bytes(), LineTableLimits().max_table_bytes);
}

// Our table agrees with addr2line on the addresses of many of this binary's
// functions (entry and middle). llvm-addr2line (from ./setup's clang) is the
// reference: binutils' addr2line names the caller's file for some inlined
// lines (gzip.cc:795 in a 157-line gzip.cc), so with it only most must agree.
TEST(DwarfLinesElf, AgreesWithAddr2line) {
  bool llvm = access("/usr/bin/llvm-addr2line", X_OK) == 0;
  if (!llvm && access("/usr/bin/addr2line", X_OK) != 0) GTEST_SKIP() << "no addr2line";
  std::string path = SelfPath();
  auto t = ReadElfLineTable(path, {}, {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<Symbol> syms = ReadElfFunctionSymbols(path, 0);
  ASSERT_GT(syms.size(), 100u);
  std::vector<uint64_t> addrs;
  for (size_t i = 0; i < syms.size() && addrs.size() < 600; i += 1 + syms.size() / 300) {
    addrs.push_back(syms[i].start);
    if (syms[i].size > 2) addrs.push_back(syms[i].start + syms[i].size / 2);
  }
  std::string cmd = std::string(llvm ? "llvm-addr2line" : "addr2line") + " -e '" + path + "'";
  char hex[32];
  for (uint64_t a : addrs) {
    std::snprintf(hex, sizeof hex, " 0x%llx", static_cast<unsigned long long>(a));
    cmd += hex;
  }
  std::istringstream out(RunCommand(cmd));
  std::string row;
  size_t compared = 0, agreed = 0, unknown = 0;
  std::string disagreements;
  for (uint64_t a : addrs) {
    if (!std::getline(out, row)) break;
    row = row.substr(0, row.find(" (discriminator"));
    size_t colon = row.rfind(':');
    ASSERT_NE(colon, std::string::npos) << row;
    std::string file = row.substr(0, colon), line = row.substr(colon + 1);
    SourceLine got;
    bool found = t->Lookup(a, &got);
    if (file == "??" || line == "?" || line == "0") {
      // No line info (code from libraries built without -g): none invented.
      ++unknown;
      if (found && got.line != 0) {
        disagreements += "unknown to addr2line: " + std::to_string(a) + "\n";
      }
      continue;
    }
    ++compared;
    if (found && got.file != nullptr && Base(*got.file) == Base(file) &&
        std::to_string(got.line) == line) {
      ++agreed;
    } else if (disagreements.size() < 2000) {
      std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(a));
      disagreements += std::string(hex) + " addr2line " + row + " ours " +
                       (found && got.file ? *got.file + ":" + std::to_string(got.line) : "-") +
                       "\n";
    }
  }
  // Most functions are in our own code; gtest's static library has no lines.
  EXPECT_GT(compared, addrs.size() / 3) << unknown << " unknown";
  EXPECT_EQ(compared + unknown, addrs.size());
  if (llvm) {
    EXPECT_EQ(agreed, compared) << disagreements;
  } else {
    EXPECT_GE(agreed, compared * 95 / 100) << disagreements;
  }
}

TEST(DwarfLinesElf, ReadsZlibCompressedSectionsAndRefusesZstd) {
  std::string dir = ::testing::TempDir();
  std::string path = SelfPath();
  auto plain = ReadElfLineTable(path, {}, {});
  ASSERT_TRUE(plain.ok());
  std::string zlib = dir + "/dwarf_zlib";
  ASSERT_EQ(std::system(("objcopy --compress-debug-sections=zlib-gabi '" + path + "' " + zlib +
                         " 2>/dev/null")
                            .c_str()),
            0);
  ASSERT_NE(RunCommand("readelf -S -W " + zlib).find(" C "), std::string::npos) << "not compressed";
  auto z = ReadElfLineTable(zlib, {}, {});
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  EXPECT_EQ(z->row_count(), plain->row_count());
  uintptr_t fn = reinterpret_cast<uintptr_t>(&KnownLines) - ExeBias();
  SourceLine a, b;
  ASSERT_TRUE(plain->Lookup(fn, &a));
  ASSERT_TRUE(z->Lookup(fn, &b));
  EXPECT_EQ(*a.file, *b.file);
  EXPECT_EQ(a.line, b.line);

  std::string zstd = dir + "/dwarf_zstd";
  if (std::system(("objcopy --compress-debug-sections=zstd '" + path + "' " + zstd + " 2>/dev/null")
                      .c_str()) != 0) {
    GTEST_SKIP() << "objcopy cannot write zstd sections";
  }
  auto s = ReadElfLineTable(zstd, {}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition) << s.status().ToString();
}

TEST(DwarfLinesElf, FilesWithoutUsableDebugInfo) {
  std::string dir = ::testing::TempDir();
  std::string stripped = dir + "/dwarf_stripped";
  ASSERT_EQ(std::system(("objcopy --strip-debug '" + SelfPath() + "' " + stripped).c_str()), 0);
  auto t = ReadElfLineTable(stripped, {}, {});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound) << t.status().ToString();

  std::string not_elf = dir + "/dwarf_not_elf";
  std::ofstream(not_elf) << "this is not an ELF file, not even close..........................";
  EXPECT_EQ(ReadElfLineTable(not_elf, {}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadElfLineTable(dir + "/missing", {}, {}).status().code(), StatusCode::kNotFound);

  Symbolizer s;
  Resolved self = s.Resolve(reinterpret_cast<uintptr_t>(&KnownLines));
  ASSERT_NE(self.segment, nullptr);
  std::string id = self.segment->module->build_id;
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(ReadElfLineTable(SelfPath(), id, {}).ok());
  id[0] = id[0] == '0' ? '1' : '0';
  EXPECT_EQ(ReadElfLineTable(SelfPath(), id, {}).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace quartet::profile_internal
