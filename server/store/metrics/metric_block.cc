#include "server/store/metrics/metric_block.h"

#include <algorithm>
#include <bit>
#include <unordered_map>

#include "server/store/block/block_format.h"
#include "server/store/block/block_writer.h"
#include "server/store/block/varint.h"
#include "server/store/metrics/chunk.h"
#include "server/store/metrics/metric_record.h"
#include "server/store/wal_coverage.h"

namespace quartet::store {
namespace {

constexpr size_t kPageBytes = 1 << 20;
constexpr char kSymbols[] = "symbols";
constexpr char kSeries[] = "series";
constexpr char kTimestamps[] = "timestamps";
constexpr char kExemplars[] = "exemplars";
constexpr char kMetadata[] = "metadata";
// Absent in format 1 blocks; "2" in blocks whose chunks are coded compactly.
constexpr char kFormat[] = "format";
constexpr char kFormatVersion[] = "2";

std::string PageName(uint32_t page) { return "values." + std::to_string(page); }

bool GetU32(std::string_view* in, uint32_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u) || u > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(u);
  return true;
}

bool GetI64(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

int64_t Wrap(int64_t a, int64_t b) {  // a + b without signed overflow
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t Diff(int64_t a, int64_t b) {  // a - b without signed overflow
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

// Chunks coded against a neighbour form chains; decoding one decodes its
// chain, so chains are kept short.
constexpr uint8_t kMaxBaseDepth = 8;
// Decoded chunks a query keeps for the chunks coded against them.
constexpr size_t kMaxCachedChunks = 64;
// Decoded timestamp streams a query keeps (about 4 KB each); the cache
// starts over when full.
constexpr size_t kMaxCachedTimestamps = 4096;
constexpr int64_t kMaxExact = int64_t{1} << 53;

// The value bits of a compact chunk; empty when malformed.
std::vector<uint64_t> ChunkValueBits(const BlockChunk& c) {
  std::vector<uint64_t> out(c.samples);
  if (!DecodeValues(c.values, ValueCoding::kCompact, out).ok()) out.clear();
  return out;
}

// base - own as value bits, when every value of both is an exact integer
// and so is every difference.
bool Difference(const std::vector<uint64_t>& base, const std::vector<uint64_t>& own,
                std::vector<uint64_t>* out) {
  if (base.size() != own.size() || own.empty()) return false;
  out->resize(own.size());
  for (size_t i = 0; i < own.size(); ++i) {
    const double b = std::bit_cast<double>(base[i]), v = std::bit_cast<double>(own[i]);
    if (!IsExactInteger(b) || !IsExactInteger(v)) return false;
    const int64_t x = static_cast<int64_t>(b) - static_cast<int64_t>(v);
    if (x > kMaxExact || x < -kMaxExact) return false;
    (*out)[i] = std::bit_cast<uint64_t>(static_cast<double>(x));
  }
  return true;
}

int64_t BlockWindowOf(int64_t t) { return t / kBlockWindowMs - (t % kBlockWindowMs < 0 ? 1 : 0); }

}  // namespace

std::vector<CompactChunk> CutBlockChunks(std::span<const std::pair<int64_t, uint64_t>> samples) {
  std::vector<CompactChunk> out;
  std::vector<int64_t> t;
  std::vector<uint64_t> bits;
  auto cut = [&] {
    if (t.empty()) return;
    out.push_back(EncodeCompactChunk(t, bits));
    t.clear();
    bits.clear();
  };
  for (const auto& [ti, b] : samples) {
    if (!t.empty() && ti <= t.back()) continue;
    if (!t.empty() &&
        (t.size() >= kBlockChunkSamples || BlockWindowOf(ti) != BlockWindowOf(t.front()))) {
      cut();
    }
    t.push_back(ti);
    bits.push_back(b);
  }
  cut();
  return out;
}

int64_t MsToNs(int64_t t_ms) {
  constexpr int64_t kLimit = INT64_MAX / 1'000'000;
  if (t_ms > kLimit) return INT64_MAX;
  if (t_ms < -kLimit) return INT64_MIN;
  return t_ms * 1'000'000;
}

Result<BlockMeta> WriteMetricBlock(std::span<const BlockSeriesSource> series,
                                   std::span<const MetricMetadata> metadata, BlockMeta meta,
                                   const std::string& path, ValueCoding coding) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> writer, BlockWriter::Create(path));
  SymbolTable symbols;
  std::unordered_map<std::string_view, uint32_t> ts_ids;
  std::vector<std::string_view> ts_streams;
  std::string table, page, exemplars;
  uint32_t page_no = 0;
  uint64_t exemplar_count = 0;
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  uint64_t rows = 0;
  // The previous series' chunks, decoded, for coding against them.
  struct Decoded {
    const BlockChunk* chunk;
    std::vector<uint64_t> values;
    uint8_t depth;
  };
  std::vector<Decoded> prev, cur;
  std::vector<uint64_t> diff;
  PutVarint64(&table, series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    const BlockSeriesSource& s = series[i];
    if (page.size() >= kPageBytes) {
      RETURN_IF_ERROR(writer->AddSection(PageName(page_no++), page));
      page.clear();
    }
    PutVarint64(&table, s.labels.size());
    for (const auto& [name, value] : s.labels) {
      PutVarint64(&table, symbols.Intern(name));
      PutVarint64(&table, symbols.Intern(value));
    }
    PutVarint64(&table, page_no);
    PutVarint64(&table, s.chunks.size());
    int64_t prev_t = 0;
    cur.clear();
    for (const BlockChunk& c : s.chunks) {
      auto [it, fresh] = ts_ids.emplace(c.timestamps, static_cast<uint32_t>(ts_streams.size()));
      if (fresh) ts_streams.push_back(c.timestamps);
      PutVarint64(&table, ZigZagEncode(Diff(c.min_t, prev_t)));
      PutVarint64(&table, static_cast<uint64_t>(Diff(c.max_t, c.min_t)));
      PutVarint64(&table, c.samples);
      PutVarint64(&table, it->second);
      if (coding != ValueCoding::kCompact) {
        PutVarint64(&table, c.values.size());
        page.append(c.values);
      } else {
        // Coded against the previous series' chunk of the same samples
        // times when that is shorter.
        Decoded& d = cur.emplace_back(Decoded{&c, ChunkValueBits(c), 0});
        std::string based;
        for (const Decoded& p : prev) {
          if (p.chunk->min_t != c.min_t || p.chunk->max_t != c.max_t ||
              p.chunk->samples != c.samples || p.chunk->timestamps != c.timestamps) {
            continue;
          }
          if (p.depth < kMaxBaseDepth && Difference(p.values, d.values, &diff)) {
            based = EncodeCompactValues(diff);
            if (based.size() < c.values.size()) {
              d.depth = static_cast<uint8_t>(p.depth + 1);
            } else {
              based.clear();
            }
          }
          break;
        }
        const std::string_view stored = d.depth > 0 ? std::string_view(based) : c.values;
        PutVarint64(&table, (uint64_t{stored.size()} << 1) | (d.depth > 0 ? 1 : 0));
        page.append(stored);
      }
      prev_t = c.max_t;
      min_t = std::min(min_t, c.min_t);
      max_t = std::max(max_t, c.max_t);
      rows += c.samples;
    }
    std::swap(prev, cur);
    for (const Exemplar& e : s.exemplars) {
      PutVarint64(&exemplars, i);
      PutVarint64(&exemplars, ZigZagEncode(e.t_ms));
      block_format::PutFixed64(&exemplars, std::bit_cast<uint64_t>(e.value));
      PutLabels(&exemplars, e.labels);
      ++exemplar_count;
    }
  }
  if (!page.empty()) RETURN_IF_ERROR(writer->AddSection(PageName(page_no++), page));
  std::vector<std::string_view> symbol_list;
  symbol_list.reserve(symbols.size());
  for (uint32_t i = 0; i < symbols.size(); ++i) symbol_list.push_back(symbols.Get(i));
  RETURN_IF_ERROR(writer->AddSection(kSymbols, EncodeStrings(symbol_list)));
  RETURN_IF_ERROR(writer->AddSection(kSeries, table));
  RETURN_IF_ERROR(writer->AddSection(kTimestamps, EncodeStrings(ts_streams)));
  std::string ex_section;
  PutVarint64(&ex_section, exemplar_count);
  ex_section += exemplars;
  RETURN_IF_ERROR(writer->AddSection(kExemplars, ex_section));
  RETURN_IF_ERROR(writer->AddSection(kMetadata, EncodeMetadataRecord(metadata).substr(1)));
  if (coding == ValueCoding::kCompact) RETURN_IF_ERROR(writer->AddSection(kFormat, kFormatVersion));
  if (min_t > max_t) min_t = max_t = 0;
  meta.min_time_ns = MsToNs(min_t);
  meta.max_time_ns = MsToNs(max_t);
  meta.rows = rows;
  RETURN_IF_ERROR(writer->Finish(meta.ToJson()));
  return meta;
}

// ---- reading ------------------------------------------------------------------------

Result<std::string_view> ValuePages::Get(const MetricBlock& block, uint32_t page) {
  auto key = std::make_pair(&block, page);
  if (auto it = pages_.find(key); it != pages_.end()) return std::string_view(it->second);
  ASSIGN_OR_RETURN(std::string bytes, block.block_->reader->ReadSection(PageName(page)));
  return std::string_view(pages_.emplace(key, std::move(bytes)).first->second);
}

Result<std::shared_ptr<const MetricBlock>> MetricBlock::Open(
    std::shared_ptr<const CatalogBlock> b) {
  std::shared_ptr<MetricBlock> block(new MetricBlock(std::move(b)));
  Status loaded = block->Load();
  if (!loaded.ok()) return loaded.Annotate(block->block_->path);
  return std::shared_ptr<const MetricBlock>(std::move(block));
}

Status MetricBlock::Load() {
  const BlockReader& reader = *block_->reader;
  wal_until_ = ParseWalUntil(block_->meta.extra_json);
  while (reader.HasSection(PageName(pages_))) ++pages_;
  const auto bad = [](const char* what) {
    return Status::DataLoss(std::string("malformed metric block: ") + what);
  };
  if (reader.HasSection(kFormat)) {
    Result<std::string> format = reader.ReadSection(kFormat);
    if (!format.ok()) return format.status();
    if (std::string_view(*format) != kFormatVersion) {
      return Status::DataLoss("unsupported metric block format " + format->substr(0, 16));
    }
    coding_ = ValueCoding::kCompact;
  }
  ASSIGN_OR_RETURN(std::string symbols_raw, reader.ReadSection(kSymbols));
  ASSIGN_OR_RETURN(StringColumn symbols, DecodeStrings(symbols_raw));
  ASSIGN_OR_RETURN(timestamps_raw_, reader.ReadSection(kTimestamps));
  ASSIGN_OR_RETURN(timestamps_, DecodeStrings(timestamps_raw_));
  ASSIGN_OR_RETURN(std::string table_raw, reader.ReadSection(kSeries));
  std::string_view in = table_raw;
  uint64_t count;
  if (!GetVarint64(&in, &count) || count > in.size()) return bad("series count");
  series_.reserve(count);
  std::vector<uint64_t> page_offsets(pages_, 0);
  std::vector<uint8_t> depth;  // per chunk: length of its chain of bases
  Labels labels;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t nlabels;
    if (!GetVarint64(&in, &nlabels) || nlabels > in.size()) return bad("labels");
    labels.clear();
    for (uint64_t k = 0; k < nlabels; ++k) {
      uint32_t n, v;
      if (!GetU32(&in, &n) || !GetU32(&in, &v) || n >= symbols.size() || v >= symbols.size()) {
        return bad("label symbol");
      }
      labels.emplace_back(symbols[n], symbols[v]);
    }
    if (!ValidLabels(labels)) return bad("label set");
    bool created;
    if (index_.GetOrAdd(labels, &created) != i || !created) return bad("duplicate series");
    SeriesInfo info{INT64_MAX, INT64_MIN, 0, static_cast<uint32_t>(chunks_.size()), 0, 0, 0};
    uint32_t nchunks;
    if (!GetU32(&in, &info.page) || info.page >= std::max<uint32_t>(pages_, 1) ||
        !GetU32(&in, &nchunks) || nchunks > in.size()) {
      return bad("series entry");
    }
    int64_t prev = 0;
    for (uint32_t c = 0; c < nchunks; ++c) {
      ChunkRef ref;
      int64_t dmin;
      uint64_t span, length;
      if (!GetI64(&in, &dmin) || !GetVarint64(&in, &span) || !GetU32(&in, &ref.samples) ||
          !GetU32(&in, &ref.ts_id) || !GetVarint64(&in, &length)) {
        return bad("chunk reference");
      }
      const bool based = coding_ == ValueCoding::kCompact && (length & 1) != 0;
      if (coding_ == ValueCoding::kCompact) length >>= 1;
      if (length > UINT32_MAX) return bad("chunk length");
      ref.length = static_cast<uint32_t>(length);
      ref.page = info.page;
      ref.min_t = Wrap(prev, dmin);
      ref.max_t = Wrap(ref.min_t, static_cast<int64_t>(span));
      if (ref.max_t < ref.min_t || ref.ts_id >= timestamps_->size() ||
          ref.samples > kChunkMaxSamples || ref.samples == 0 || pages_ == 0) {
        return bad("chunk reference");
      }
      uint8_t chain = 0;
      if (based) {
        if (i == 0) return bad("first series coded against another");
        const SeriesInfo& p = series_[i - 1];
        for (uint32_t k = p.first_chunk; k < p.first_chunk + p.chunk_count; ++k) {
          const ChunkRef& b = chunks_[k];
          if (b.min_t == ref.min_t && b.max_t == ref.max_t && b.samples == ref.samples &&
              b.ts_id == ref.ts_id) {
            ref.base = k;
            break;
          }
        }
        if (ref.base == kNoBase) return bad("no chunk to be coded against");
        if (depth[ref.base] >= kMaxBaseDepth) return bad("chain of coded chunks too long");
        chain = static_cast<uint8_t>(depth[ref.base] + 1);
      }
      depth.push_back(chain);
      ref.offset = page_offsets[info.page];
      page_offsets[info.page] += ref.length;
      info.min_t = std::min(info.min_t, ref.min_t);
      info.max_t = std::max(info.max_t, ref.max_t);
      prev = ref.max_t;
      chunks_.push_back(ref);
    }
    info.chunk_count = nchunks;
    series_.push_back(info);
  }
  if (!in.empty()) return bad("trailing bytes in the series table");
  // Exemplars, grouped by series (written in series order).
  ASSIGN_OR_RETURN(std::string ex_raw, reader.ReadSection(kExemplars));
  in = ex_raw;
  if (!GetVarint64(&in, &count) || count > in.size()) return bad("exemplar count");
  exemplars_.reserve(count);
  uint64_t last_series = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t s, bits;
    Exemplar& e = exemplars_.emplace_back();
    if (!GetVarint64(&in, &s) || s >= series_.size() || s < last_series || !GetI64(&in, &e.t_ms) ||
        in.size() < 8) {
      return bad("exemplar");
    }
    bits = block_format::GetFixed64(in.data());
    in.remove_prefix(8);
    e.value = std::bit_cast<double>(bits);
    if (!GetLabels(&in, &e.labels)) return bad("exemplar labels");
    if (series_[s].exemplar_count == 0) series_[s].first_exemplar = static_cast<uint32_t>(i);
    ++series_[s].exemplar_count;
    last_series = s;
  }
  ASSIGN_OR_RETURN(std::string md_raw, reader.ReadSection(kMetadata));
  ASSIGN_OR_RETURN(MetricRecord md, DecodeMetricRecord(std::string(1, kMetadataRecord) + md_raw));
  metadata_ = std::move(md.metadata);
  return Status::Ok();
}

Result<std::string_view> MetricBlock::ChunkBytes(uint32_t c, ValuePages* pages) const {
  const ChunkRef& ref = chunks_[c];
  ASSIGN_OR_RETURN(std::string_view page, pages->Get(*this, ref.page));
  if (ref.offset > page.size() || ref.length > page.size() - ref.offset) {
    return Status::DataLoss(block_->path + ": chunk outside its value page");
  }
  return page.substr(ref.offset, ref.length);
}

Result<const std::vector<uint64_t>*> MetricBlock::ChunkValues(uint32_t c, ValuePages* pages) const {
  const ValuePages::Key key(this, c);
  if (auto it = pages->values_.find(key); it != pages->values_.end()) return &it->second;
  const ChunkRef& ref = chunks_[c];
  ASSIGN_OR_RETURN(std::string_view bytes, ChunkBytes(c, pages));
  std::vector<uint64_t> out(ref.samples);
  Status decoded = DecodeValues(bytes, coding_, out);
  if (!decoded.ok()) return decoded.Annotate(block_->path);
  if (ref.base != kNoBase) {  // Load bounded the chain
    ASSIGN_OR_RETURN(const std::vector<uint64_t>* base, ChunkValues(ref.base, pages));
    for (size_t i = 0; i < out.size(); ++i) {
      const double b = std::bit_cast<double>((*base)[i]), x = std::bit_cast<double>(out[i]);
      if (!IsExactInteger(b) || !IsExactInteger(x)) {
        return Status::DataLoss(block_->path + ": coded chunk with non-integer values");
      }
      const int64_t v = static_cast<int64_t>(b) - static_cast<int64_t>(x);
      if (v > kMaxExact || v < -kMaxExact) {
        return Status::DataLoss(block_->path + ": coded chunk value out of range");
      }
      out[i] = std::bit_cast<uint64_t>(static_cast<double>(v));
    }
  }
  // The base pointer above is dead by now: evicting its entry is safe.
  std::vector<uint64_t>& stored = pages->values_[key] = std::move(out);
  pages->values_order_.push_back(key);
  if (pages->values_order_.size() > kMaxCachedChunks) {
    pages->values_.erase(pages->values_order_.front());
    pages->values_order_.pop_front();
  }
  return &stored;
}

Result<const std::vector<int64_t>*> MetricBlock::Timestamps(uint32_t ts_id, uint32_t samples,
                                                            ValuePages* pages) const {
  const ValuePages::Key key(this, ts_id);
  auto it = pages->timestamps_.find(key);
  // Decoding is prefix-stable: a longer decode serves every shorter chunk.
  if (it != pages->timestamps_.end() && it->second.size() >= samples) return &it->second;
  if (it == pages->timestamps_.end() && pages->timestamps_.size() >= kMaxCachedTimestamps) {
    pages->timestamps_.clear();
  }
  std::vector<int64_t>& t = pages->timestamps_[key];
  t.resize(samples);
  Status decoded = DecodeTimestamps((*timestamps_)[ts_id], t);
  if (!decoded.ok()) {
    pages->timestamps_.erase(key);
    return decoded.Annotate(block_->path);
  }
  return &t;
}

Status MetricBlock::AppendSamples(uint32_t id, int64_t min_t, int64_t max_t, ValuePages* pages,
                                  std::vector<Sample>* out) const {
  const SeriesInfo& s = series_[id];
  if (s.max_t < min_t || s.min_t > max_t) return Status::Ok();
  for (uint32_t c = s.first_chunk; c < s.first_chunk + s.chunk_count; ++c) {
    const ChunkRef& ref = chunks_[c];
    if (ref.max_t < min_t || ref.min_t > max_t) continue;
    ASSIGN_OR_RETURN(const std::vector<int64_t>* ts, Timestamps(ref.ts_id, ref.samples, pages));
    const int64_t* t = ts->data();
    const size_t begin = std::lower_bound(t, t + ref.samples, min_t) - t;
    const size_t end = std::upper_bound(t + begin, t + ref.samples, max_t) - t;
    if (begin >= end) continue;
    const uint64_t* bits;
    if (ref.base != kNoBase) {
      ASSIGN_OR_RETURN(const std::vector<uint64_t>* values, ChunkValues(c, pages));
      bits = values->data();
    } else {
      // Values only up to the last sample in the range.
      ASSIGN_OR_RETURN(std::string_view bytes, ChunkBytes(c, pages));
      pages->scratch_.bits.resize(end);
      Status decoded = DecodeValues(bytes, coding_, pages->scratch_.bits);
      if (!decoded.ok()) return decoded.Annotate(block_->path);
      bits = pages->scratch_.bits.data();
    }
    store::AppendSamples(t, bits, begin, end, out);
  }
  return Status::Ok();
}

Status MetricBlock::ForEachSample(uint32_t id, int64_t min_t, int64_t max_t, ValuePages* pages,
                                  const std::function<void(int64_t, double)>& fn) const {
  std::vector<Sample> samples;
  RETURN_IF_ERROR(AppendSamples(id, min_t, max_t, pages, &samples));
  for (const Sample& s : samples) fn(s.t_ms, s.v);
  return Status::Ok();
}

std::span<const Exemplar> MetricBlock::exemplars(uint32_t id) const {
  const SeriesInfo& s = series_[id];
  return std::span<const Exemplar>(exemplars_).subspan(s.first_exemplar, s.exemplar_count);
}

}  // namespace quartet::store
