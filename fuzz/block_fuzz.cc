// Fuzzes the block reader, the column decoders and trace blocks (v2). The
// input is used twice: as a whole block file (open, read every section,
// decode each section as every column type, parse the meta; then load it as
// a trace block, read every trace and run span searches) and, because
// checksums stop most mutations at the door, directly as the encoded bytes
// of each column type and of each span-column family.
// Nothing may crash or read out of bounds; decoders return errors.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "server/store/block/bitmap.h"
#include "server/store/block/block_meta.h"
#include "server/store/block/block_reader.h"
#include "server/store/block/bloom_filter.h"
#include "server/store/block/column.h"
#include "server/store/traces/span_columns.h"
#include "server/store/traces/trace_block.h"

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

// The span-column families and value encodings of trace blocks v2.
void DecodeAsSpanColumns(std::string_view bytes) {
  const uint32_t n = bytes.empty() ? 0 : static_cast<uint8_t>(bytes[0]) % 16;
  (void)SpanSearchColumns::Decode(bytes, n, 4);
  if (auto a = SpanAttributeColumns::Decode(bytes, n, 64); a.ok()) {
    quartet::otlp::AnyValue v;
    for (uint32_t i = 0; i < a->key.size(); ++i) (void)a->Value(i, &v);
  }
  (void)SpanExtraColumns::Decode(bytes, n, 64, 4);
  quartet::otlp::AnyValue v;
  (void)DecodeAnyValue(bytes, &v);
  quartet::otlp::Resource resource;
  quartet::otlp::InstrumentationScope scope;
  std::string schema_url;
  (void)DecodeResourceEntry(bytes, &resource, &schema_url);
  (void)DecodeScopeEntry(bytes, &scope, &schema_url);
}

void LoadAsTraceBlock(std::unique_ptr<BlockReader> reader) {
  auto meta = BlockMeta::FromJson(reader->meta());
  if (!meta.ok()) return;
  auto index = TraceBlockIndex::Load(*meta, std::shared_ptr<const BlockReader>(std::move(reader)));
  if (!index.ok()) return;
  const TraceBlockIndex& x = **index;
  TraceBlockIndex::PageCache cache;
  for (size_t row = 0; row < x.trace_count() && row < 256; ++row) {
    (void)x.Find(x.summary(row).trace_id);
    (void)x.ReadTrace(row, &cache);
  }
  quartet::store::TraceFilter f;
  f.service = "frontend";
  f.span_name = "GET /api/cart";
  f.string_attributes = {{"http.route", "/api/cart"}, {"url.full", "x"}, {"n", "200"}};
  f.min_span_duration_ns = 1;
  f.max_span_duration_ns = 1'000'000'000;
  f.span_has_error = true;
  (void)x.MatchSpanConditions(f);
  f = {};
  f.string_attributes = {{"http.route", "/api/cart"}};
  (void)x.MatchSpanConditions(f);
  f = {};
  (void)x.MatchSpanConditions(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  DecodeAsEveryColumn(input);
  DecodeAsSpanColumns(input);
  auto reader = BlockReader::FromBytes(input);
  if (!reader.ok()) return 0;
  (void)BlockMeta::FromJson((*reader)->meta());
  for (const std::string& name : (*reader)->SectionNames()) {
    auto section = (*reader)->ReadSection(name);
    if (section.ok()) {
      DecodeAsEveryColumn(*section);
      DecodeAsSpanColumns(*section);
    }
  }
  LoadAsTraceBlock(std::move(*reader));
  return 0;
}
