// Fuzzes the block reader and the column decoders. The input is used twice:
// as a whole block file (open, read every section, decode each section as
// every column type, parse the meta) and, because checksums stop most
// mutations at the door, directly as the encoded bytes of each column type.
// Nothing may crash or read out of bounds; decoders return errors.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/store/block/bitmap.h"
#include "server/store/block/block_meta.h"
#include "server/store/block/block_reader.h"
#include "server/store/block/bloom_filter.h"
#include "server/store/block/column.h"

namespace {

using namespace quartet::store;

void DecodeAsEveryColumn(std::string_view bytes) {
  if (auto v = DecodeInt64s(bytes); v.ok() && v->size() > bytes.size()) std::abort();
  // Zero-width columns are bounded by max_values; others by the input.
  constexpr uint64_t kMaxValues = 1 << 20;
  if (auto v = DecodeUint32s(bytes, kMaxValues);
      v.ok() && v->size() > std::max<uint64_t>(bytes.size() * 8, kMaxValues)) {
    std::abort();
  }
  if (auto v = DecodeStrings(bytes); v.ok()) {
    size_t total = 0;
    for (size_t i = 0; i < v->size(); ++i) total += (*v)[i].size();
    if (total > bytes.size()) std::abort();
  }
  if (auto d = StringDictionary::Decode(bytes); d.ok()) {
    for (uint32_t i = 0; i < d->size(); ++i) {
      if (d->Find(*d->Lookup(i)) != i) std::abort();
    }
  }
  if (auto b = Bitmap::Decode(bytes); b.ok()) {
    size_t n = 0;
    b->ForEachSet([&](size_t i) {
      if (i >= b->size()) std::abort();
      ++n;
    });
    if (n != b->Count()) std::abort();
  }
  if (auto f = BloomFilter::Decode(bytes); f.ok()) (void)f->MayContain(Hash64(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  DecodeAsEveryColumn(input);
  auto reader = BlockReader::FromBytes(input);
  if (!reader.ok()) return 0;
  (void)BlockMeta::FromJson((*reader)->meta());
  for (const std::string& name : (*reader)->SectionNames()) {
    auto section = (*reader)->ReadSection(name);
    if (section.ok()) DecodeAsEveryColumn(*section);
  }
  return 0;
}
