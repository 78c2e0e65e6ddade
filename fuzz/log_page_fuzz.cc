// The log block's page reader (server/store/logs/log_block.h): the sections
// of a page hold untrusted bytes behind valid checksums (a bug in a writer,
// or a crafted file). A valid block of rows with numbers, hex runs, ids and
// metadata is written once, and converted to the layout before `pN.time`
// and `pN.nums`; each input replaces one of page 0's sections in one of the
// two layouts (byte 0 picks which) with the rest of the input, and the page is read,
// every line decoded in both orders, and filtered by needles that take each
// filter path (encoded search, a needle's whole numbers, a needle ending in
// a number). Nothing may crash or read out of bounds; damage is an error
// or an empty line, never a wrong read.
#include <stdint.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/block/block_reader.h"
#include "server/store/block/block_writer.h"
#include "server/store/block/catalog.h"
#include "server/store/block/column.h"
#include "server/store/block/varint.h"
#include "server/store/logs/log_block.h"
#include "server/store/logs/log_page_columns.h"

namespace {

using namespace quartet::store;
using quartet::Result;

struct Fixture {
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
  BlockMeta meta;
  std::map<std::string, std::string> sections;
  // The same block in the layout written before `pN.time` and `pN.nums`
  // (`pN.ts` as EncodeInt64s, `pN.num` as varint columns): read as well.
  std::map<std::string, std::string> old_sections;
  std::vector<std::string> page_sections;      // names of page 0's sections
  std::vector<std::string> old_page_sections;  // ... in the old layout
};

// Page 0's `time` and `nums` in the old layout (docs/formats/logs.md).
void ToOldLayout(std::map<std::string, std::string>* s, size_t rows) {
  auto times = DecodePageTimes((*s)["p0.time"], rows);
  if (!times.ok()) std::abort();
  (*s)["p0.ts"] = EncodeInt64s(*times);
  s->erase("p0.time");
  std::vector<uint32_t> counts;
  std::vector<PackedNumberColumn> columns;
  if (!ParseNumberColumns((*s)["p0.nums"], rows, &counts, &columns).ok()) std::abort();
  std::map<uint32_t, uint32_t> rows_of;  // count -> rows with it
  for (uint32_t c : counts) ++rows_of[c];
  std::string lengths, bytes;
  size_t k = 0;
  for (const auto& [count, n] : rows_of) {
    if (count == 0) continue;
    for (uint32_t o = 0; o < count; ++o, ++k) {
      std::string planes, column;
      if (!UnpackNumberColumn(columns[k], n, &planes).ok()) std::abort();
      for (uint32_t e = 0; e < n; ++e) {
        LineNumber num;
        if (!PackedNumberAt(planes, columns[k].width, columns[k].has_zeros, n, e, &num)) {
          std::abort();
        }
        PutVarint64(&column, num.value << 1 | (num.zeros != 0 ? 1 : 0));
        if (num.zeros != 0) PutVarint64(&column, num.zeros);
      }
      PutVarint64(&lengths, column.size());
      bytes += column;
    }
  }
  std::string num;
  PutLengthPrefixed(&num, EncodeUint32s(counts));
  PutLengthPrefixed(&num, lengths);
  num += bytes;
  (*s)["p0.num"] = num;
  s->erase("p0.nums");
}

Fixture* MakeFixture() {
  auto* f = new Fixture;
  f->dir = (std::filesystem::temp_directory_path() / ("log_page_fuzz." + std::to_string(getpid())))
               .string();
  std::filesystem::create_directories(f->dir);
  Labels labels = {{"app", "fuzz"}};
  std::vector<LogEntry> entries;
  for (int i = 0; i < 40; ++i) {
    LogEntry& e = entries.emplace_back();
    e.timestamp_ns = 1'700'000'000'000'000'000 + i * 1'000'003;
    if (i % 3 != 0) e.trace_id.bytes[15] = static_cast<uint8_t>(i + 1);
    if (i % 2 != 0) e.span_id.bytes[7] = static_cast<uint8_t>(i + 1);
    e.line = "{\"status\":" + std::to_string(i % 4 == 0 ? 500 : 200) +
             ",\"n\":" + std::to_string(i * 7919) + ",\"zero\":007,\"id\":\"" +
             (e.trace_id.valid() ? e.trace_id.ToHex() : std::string("none")) +
             "\",\"req\":\"0123456789abcdef0123\",\"x\":\"" + std::string(1, '\x08') + "\"}";
    if (i % 5 == 0) e.structured_metadata = {{"user", "u-" + std::to_string(i)}};
  }
  std::vector<const LogEntry*> ptrs;
  for (const LogEntry& e : entries) ptrs.push_back(&e);
  const LogBlockSource source{.labels = &labels, .entries = ptrs};
  BlockMeta meta;
  meta.id = "00000000000FUZZ";
  const std::string path = f->dir + "/seed.blk";
  Result<BlockMeta> written = WriteLogBlock({&source, 1}, meta, path);
  if (!written.ok()) std::abort();
  f->meta = *written;
  auto reader = BlockReader::Open(path);
  if (!reader.ok()) std::abort();
  for (const std::string& name : (*reader)->SectionNames()) {
    f->sections[name] = *(*reader)->ReadSection(name);
    if (name.rfind("p0.", 0) == 0) f->page_sections.push_back(name);
  }
  if (f->page_sections.empty() || f->meta.rows != entries.size()) std::abort();
  f->old_sections = f->sections;
  ToOldLayout(&f->old_sections, entries.size());
  for (const auto& [name, bytes] : f->old_sections) {
    if (name.rfind("p0.", 0) == 0) f->old_page_sections.push_back(name);
  }
  // LOG_PAGE_FUZZ_SEEDS=DIR writes the seed corpus: each page section as it
  // is, so mutation starts from valid content.
  if (const char* seeds = std::getenv("LOG_PAGE_FUZZ_SEEDS"); seeds != nullptr) {
    for (size_t i = 0; i < f->page_sections.size(); ++i) {
      std::ofstream out(std::string(seeds) + "/" + f->page_sections[i], std::ios::binary);
      out.put(static_cast<char>(2 * i));
      out << f->sections[f->page_sections[i]];
    }
    for (size_t i = 0; i < f->old_page_sections.size(); ++i) {
      std::ofstream out(std::string(seeds) + "/old_" + f->old_page_sections[i], std::ios::binary);
      out.put(static_cast<char>(2 * i + 1));
      out << f->old_sections[f->old_page_sections[i]];
    }
  }
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Fixture> f(MakeFixture());
  if (size < 1) return 0;
  // Byte 0: its low bit picks the layout, the rest the section.
  const bool old = (data[0] & 1) != 0;
  std::map<std::string, std::string> sections = old ? f->old_sections : f->sections;
  const std::vector<std::string>& names = old ? f->old_page_sections : f->page_sections;
  const std::string& target = names[(data[0] >> 1) % names.size()];
  sections[target].assign(reinterpret_cast<const char*>(data + 1), size - 1);

  const std::string path = f->dir + "/input.blk";
  std::filesystem::remove(path);
  {
    auto w = BlockWriter::Create(path);
    if (!w.ok()) std::abort();
    for (const auto& [name, bytes] : sections) {
      if (!(*w)->AddSection(name, bytes).ok()) std::abort();
    }
    if (!(*w)->Finish(f->meta.ToJson()).ok()) std::abort();
  }
  auto reader = BlockReader::Open(path);
  if (!reader.ok()) return 0;
  auto cb = std::make_shared<CatalogBlock>();
  cb->meta = f->meta;
  cb->path = path;
  cb->reader = std::move(*reader);
  quartet::Result<std::shared_ptr<const LogBlock>> block = LogBlock::Open(std::move(cb));
  if (!block.ok()) return 0;
  for (uint32_t p = 0; p < (*block)->page_count(); ++p) {
    quartet::Result<std::shared_ptr<const LogPage>> page = (*block)->ReadPage(p);
    if (!page.ok()) continue;
    const LogPage& pg = **page;
    const auto rows = static_cast<uint32_t>(pg.size());
    // Filters first (they take the paths that avoid decoding), then every
    // line backwards and forwards, metadata and ids.
    const std::vector<std::vector<std::string>> needles = {
        {"\"status\":500"}, {"7919"}, {"\"n\":7919,"}, {"\"zero\":007"}, {"req"}, {"status", ":5"}};
    for (const std::vector<std::string>& n : needles) {
      for (uint32_t r : pg.RowsContaining(0, rows, n)) {
        if (r >= rows && rows != 0) std::abort();
      }
    }
    size_t bytes = 0;
    for (size_t i = rows; i > 0; --i) bytes += pg.line(i - 1).size();
    for (size_t i = 0; i < rows; ++i) {
      bytes += pg.line(i).size();
      Labels md;
      (void)pg.Metadata(i, &md);
      (void)pg.Ids(i);
    }
    if (bytes > (size_t{1} << 32)) std::abort();
  }
  return 0;
}
