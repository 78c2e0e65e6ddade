#include "sdk/profile/symbolizer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace quartet::profile_internal {
namespace {

// Not exported (internal linkage): only .symtab names it. Its lines are
// kStaticHelperFirst..kStaticHelperLast, for the file:line tests.
constexpr uint32_t kStaticHelperFirst = __LINE__ + 1;
__attribute__((noinline)) int StaticHelper(int x) {
  asm volatile("" : "+r"(x));
  return x * 3 + 1;
}
constexpr uint32_t kStaticHelperLast = __LINE__ - 1;

}  // namespace

__attribute__((noinline)) int ExportedHelper(std::string_view s) {
  int n = static_cast<int>(s.size());
  asm volatile("" : "+r"(n));
  return n + 1;
}

namespace {

uintptr_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(Symbolizer, NamesStaticExportedAndLibraryFunctions) {
  Symbolizer s;
  ASSERT_EQ(StaticHelper(1), 4);
  ASSERT_EQ(ExportedHelper("ab"), 3);
  struct Case {
    uintptr_t pc;
    std::string want;  // substring of the demangled name
  };
  const Case cases[] = {
      {Addr(reinterpret_cast<void*>(&StaticHelper)) + 1,
       "quartet::profile_internal::(anonymous namespace)::StaticHelper(int)"},
      {Addr(reinterpret_cast<void*>(&ExportedHelper)) + 2,
       "quartet::profile_internal::ExportedHelper(std::basic_string_view<char, "
       "std::char_traits<char> >)"},
      {Addr(reinterpret_cast<void*>(&::getpid)) + 1, "getpid"},  // libc, via .dynsym
  };
  for (const Case& c : cases) {
    Resolved r = s.Resolve(c.pc);
    ASSERT_NE(r.segment, nullptr) << c.want;
    ASSERT_NE(r.symbol, nullptr) << c.want;
    EXPECT_NE(r.name->find(c.want), std::string::npos) << *r.name;
  }
  Resolved self = s.Resolve(Addr(reinterpret_cast<void*>(&StaticHelper)));
  EXPECT_EQ(self.segment->module->build_id.size(), 40u) << "gcc links a sha1 build id";
  EXPECT_LE(self.segment->start, Addr(reinterpret_cast<void*>(&StaticHelper)));
  EXPECT_GE(s.module_count(), 3u);  // the test, libc, libstdc++ at least
}

TEST(Symbolizer, UnknownAddressesStayUnnamed) {
  Symbolizer s;
  int on_stack = 0;
  Resolved r = s.Resolve(Addr(&on_stack));
  EXPECT_EQ(r.segment, nullptr);
  EXPECT_EQ(r.symbol, nullptr);
  EXPECT_EQ(s.Resolve(0).segment, nullptr);
}

TEST(Symbolizer, FollowsDlopenAndDlclose) {
  Symbolizer s;
  ASSERT_GE(s.module_count(), 1u);  // scanned before the library is loaded
  // libsnappy (a ./setup package) is not linked into this test.
  void* handle = dlopen("libsnappy.so.1", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto pc = reinterpret_cast<uintptr_t>(dlsym(handle, "snappy_max_compressed_length"));
  ASSERT_NE(pc, 0u);
  s.BeginBatch();
  Resolved r = s.Resolve(pc + 1);
  ASSERT_NE(r.symbol, nullptr);
  EXPECT_EQ(*r.name, "snappy_max_compressed_length");
  EXPECT_NE(r.segment->module->path.find("libsnappy.so.1"), std::string::npos);
  ASSERT_EQ(dlclose(handle), 0);
  // Once a re-scan has run, the unloaded range resolves to nothing.
  s.BeginBatch();
  int on_stack = 0;
  (void)s.Resolve(reinterpret_cast<uintptr_t>(&on_stack));  // unknown: re-scans
  EXPECT_EQ(s.Resolve(pc + 1).segment, nullptr);
}

TEST(Symbolizer, ReadsNothingFromMalformedFiles) {
  std::string dir = ::testing::TempDir();
  // Start from the real executable, then damage it.
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string exe = buffer.str();
  ASSERT_GT(exe.size(), 1000u);
  EXPECT_FALSE(ReadElfFunctionSymbols("/proc/self/exe", 0).empty());
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::string bad_shoff = exe;
  std::memset(&bad_shoff[0x28], 0xff, 8);  // e_shoff far past the end
  std::string bad_class = exe;
  bad_class[4] = 1;  // ELFCLASS32
  const Case cases[] = {
      {"empty", ""},
      {"not elf", "hello, world, this is not an ELF file at all......................"},
      {"header only", exe.substr(0, 64)},
      {"truncated", exe.substr(0, exe.size() / 3)},
      {"bad shoff", bad_shoff},
      {"bad class", bad_class},
  };
  for (const Case& c : cases) {
    std::string path = dir + "/sym_case";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.bytes;
    auto syms = ReadElfFunctionSymbols(path, 0);
    // Truncation may leave .dynsym readable or not; it must simply not crash
    // and never yield a symbol starting past the file's own range.
    if (std::string(c.name) != "truncated") {
      EXPECT_TRUE(syms.empty()) << c.name;
    }
  }
  EXPECT_TRUE(ReadElfFunctionSymbols(dir + "/does-not-exist", 0).empty());
}

TEST(Symbolizer, AFileWithAnotherBuildIdGivesNoNames) {
  Symbolizer s;
  Resolved self = s.Resolve(reinterpret_cast<uintptr_t>(&StaticHelper));
  ASSERT_NE(self.segment, nullptr);
  const std::string& id = self.segment->module->build_id;
  ASSERT_FALSE(id.empty());
  EXPECT_FALSE(ReadElfFunctionSymbols("/proc/self/exe", 0, id).empty());
  std::string other = id;
  other[0] = other[0] == '0' ? '1' : '0';  // as if the binary was rebuilt in place
  EXPECT_TRUE(ReadElfFunctionSymbols("/proc/self/exe", 0, other).empty());
}

TEST(Symbolizer, GivesFileAndLineWhereDebugInfoExists) {
  Symbolizer s;
  ASSERT_EQ(StaticHelper(1), 4);
  uintptr_t fn = Addr(reinterpret_cast<void*>(&StaticHelper));
  Resolved r = s.Resolve(fn + 1);
  ASSERT_NE(r.symbol, nullptr);
  ASSERT_NE(r.file, nullptr) << "this test is built with -g";
  EXPECT_TRUE(r.file->ends_with("/sdk/profile/symbolizer_test.cc")) << *r.file;
  EXPECT_GE(r.line, kStaticHelperFirst);
  EXPECT_LE(r.line, kStaticHelperLast);
  EXPECT_GE(r.start_line, kStaticHelperFirst);
  EXPECT_LE(r.start_line, r.line);
  // libc ships without .debug_line (no debug file installed): names only.
  Resolved libc = s.Resolve(Addr(reinterpret_cast<void*>(&::getpid)) + 1);
  ASSERT_NE(libc.symbol, nullptr);
  LineStats stats = s.line_stats();
  EXPECT_EQ(stats.with_lines, libc.file == nullptr ? 1u : 2u);
  EXPECT_EQ(stats.without_lines, libc.file == nullptr ? 1u : 0u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_GT(stats.table_bytes, 0u);
}

TEST(Symbolizer, LineTablesOverTheirBoundsAreSkippedAndCounted) {
  uintptr_t pc = Addr(reinterpret_cast<void*>(&StaticHelper)) + 1;
  struct Case {
    const char* name;
    SymbolizerOptions options;
    bool counted_over;
  };
  SymbolizerOptions off;
  off.read_lines = false;
  SymbolizerOptions small_table;
  small_table.line_limits.max_table_bytes = 1024;
  SymbolizerOptions small_total;
  small_total.max_total_line_bytes = 1024;
  const Case cases[] = {
      {"lines off", off, false},
      {"table bound", small_table, true},
      {"total bound", small_total, true},
  };
  for (const Case& c : cases) {
    Symbolizer s(c.options);
    Resolved r = s.Resolve(pc);
    ASSERT_NE(r.symbol, nullptr) << c.name;
    EXPECT_EQ(r.file, nullptr) << c.name;
    EXPECT_EQ(r.line, 0u) << c.name;
    EXPECT_EQ(s.line_stats().over_bound, c.counted_over ? 1u : 0u) << c.name;
    EXPECT_EQ(s.line_stats().table_bytes, 0u) << c.name;
  }
}

TEST(Demangle, Table) {
  struct Case {
    const char* in;
    const char* want;
  };
  const Case cases[] = {
      {"_ZN2ns3HotEi", "ns::Hot(int)"},
      {"main", "main"},
      {"_Z", "_Z"},  // not a valid mangling: kept
      {"_Znotvalid!!", "_Znotvalid!!"},
      {"_ZNSt6vectorIiSaIiEE9push_backERKi",
       "std::vector<int, std::allocator<int> >::push_back(int const&)"},
  };
  for (const Case& c : cases) EXPECT_EQ(Demangle(c.in), c.want) << c.in;
}

}  // namespace
}  // namespace quartet::profile_internal
