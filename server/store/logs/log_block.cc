#include "server/store/logs/log_block.h"

#include <string.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

#include "server/store/block/block_writer.h"
#include "server/store/block/varint.h"
#include "server/store/logs/log_line_codec.h"
#include "server/store/logs/log_page_columns.h"
#include "server/store/traces/trace_id_hash.h"

namespace quartet::store {
namespace {

std::string PageSection(uint32_t page, std::string_view column) {
  return "p" + std::to_string(page) + "." + std::string(column);
}

enum IdFlag : uint32_t { kHasTrace = 1, kHasSpan = 2 };

// The columns of the page being filled.
struct PageBuffer {
  std::vector<int64_t> timestamps;
  std::vector<std::string_view> lines;
  std::vector<LineRow> rows;  // what the line codec may reference
  size_t line_bytes = 0;
  StringDictionaryBuilder names;
  std::vector<uint32_t> meta_counts, meta_names;
  std::vector<std::string_view> meta_values;
  std::vector<uint32_t> id_flags;
  std::string ids;
};

// Takes one number's entry (log_line_codec.h: one varint, two when the
// first is odd) off the front of *in into *unit; false at the end or when
// truncated.
bool NextNumber(std::string_view* in, std::string_view* unit) {
  const std::string_view start = *in;
  uint64_t v, zeros;
  if (!GetVarint64(in, &v) || ((v & 1) != 0 && !GetVarint64(in, &zeros))) return false;
  *unit = start.substr(0, start.size() - in->size());
  return true;
}

// Encodes `values` (row `row_of(i)`'s) with the line codec: the Strings
// column of encoded values and the side stream of their hex runs; with
// `numbers`, version 2 (number regions to *numbers, their count per value
// to *number_counts).
template <typename RowOf>
std::pair<std::string, std::string> EncodeColumn(std::span<const std::string_view> values,
                                                 RowOf row_of, std::string* numbers = nullptr,
                                                 std::vector<uint32_t>* number_counts = nullptr) {
  std::string text, side;
  std::vector<size_t> ends;
  ends.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t at = numbers != nullptr ? numbers->size() : 0;
    EncodeLogLine(values[i], row_of(i), &text, &side, numbers);
    ends.push_back(text.size());
    if (number_counts != nullptr) {
      uint32_t count = 0;
      std::string_view added = std::string_view(*numbers).substr(at), unit;
      while (NextNumber(&added, &unit)) ++count;
      number_counts->push_back(count);
    }
  }
  std::vector<std::string_view> views;
  views.reserve(values.size());
  size_t start = 0;
  for (size_t end : ends) {
    views.emplace_back(text.data() + start, end - start);
    start = end;
  }
  return {EncodeStrings(views), std::move(side)};
}

Status WritePage(BlockWriter* w, uint32_t page, int text_level, PageBuffer& buf) {
  RETURN_IF_ERROR(w->AddSection(PageSection(page, "time"), EncodePageTimes(buf.timestamps)));
  std::string numbers;
  std::vector<uint32_t> number_counts;
  auto [text, hex] = EncodeColumn(
      buf.lines, [&](size_t i) -> const LineRow& { return buf.rows[i]; }, &numbers, &number_counts);
  RETURN_IF_ERROR(w->AddSection(PageSection(page, "text"), text, Codec::kZstd, text_level));
  // Random ids barely compress, but zero-padded or repeated ones do.
  RETURN_IF_ERROR(w->AddSection(PageSection(page, "hex"), hex));
  // Its parts are zstd frames of their own (a reader decompresses only the
  // columns it reads).
  RETURN_IF_ERROR(w->AddSection(PageSection(page, "nums"),
                                EncodeNumberColumns(numbers, number_counts, kLogNumberLevel),
                                Codec::kNone));
  std::vector<uint32_t> value_row;
  value_row.reserve(buf.meta_values.size());
  for (uint32_t r = 0; r < buf.meta_counts.size(); ++r)
    value_row.insert(value_row.end(), buf.meta_counts[r], r);
  auto [values, values_hex] = EncodeColumn(
      buf.meta_values, [&](size_t i) -> const LineRow& { return buf.rows[value_row[i]]; });
  std::string meta;
  PutLengthPrefixed(&meta, buf.names.Encode());
  PutLengthPrefixed(&meta, EncodeUint32s(buf.meta_counts));
  PutLengthPrefixed(&meta, EncodeUint32s(buf.meta_names));
  PutLengthPrefixed(&meta, values);
  PutLengthPrefixed(&meta, values_hex);
  RETURN_IF_ERROR(w->AddSection(PageSection(page, "meta"), meta));
  std::string ids;
  PutLengthPrefixed(&ids, EncodeUint32s(buf.id_flags));
  ids += buf.ids;
  RETURN_IF_ERROR(w->AddSection(PageSection(page, "ids"), ids));
  buf = PageBuffer();
  return Status::Ok();
}

Status Damaged(const BlockReader& r, std::string_view what) {
  return Status::DataLoss("log block " + r.path() + ": " + std::string(what));
}

// Reads page `page`'s `ids` section for `rows` rows: the bytes, the flags
// per row and where each row's trace and span id start in the bytes.
Status ReadIdColumn(const BlockReader& r, uint32_t page, size_t rows, std::string* bytes,
                    std::vector<uint32_t>* flags, std::vector<uint32_t>* trace_at,
                    std::vector<uint32_t>* span_at) {
  ASSIGN_OR_RETURN(*bytes, r.ReadSection(PageSection(page, "ids")));
  std::string_view in = *bytes;
  std::string_view flag_bytes;
  if (!GetLengthPrefixed(&in, &flag_bytes)) {
    return Damaged(r, "bad ids of page " + std::to_string(page));
  }
  ASSIGN_OR_RETURN(*flags, DecodeUint32s(flag_bytes, rows));
  if (flags->size() != rows) return Damaged(r, "id count of page " + std::to_string(page));
  uint64_t at = in.data() - bytes->data();
  trace_at->resize(rows);
  span_at->resize(rows);
  for (size_t i = 0; i < rows; ++i) {
    (*trace_at)[i] = static_cast<uint32_t>(at);
    if ((*flags)[i] & kHasTrace) at += 16;
    (*span_at)[i] = static_cast<uint32_t>(at);
    if ((*flags)[i] & kHasSpan) at += 8;
  }
  if (at != bytes->size()) return Damaged(r, "id bytes of page " + std::to_string(page));
  return Status::Ok();
}

uint64_t TraceHash(const TraceId& id) {
  return Hash64(std::string_view(reinterpret_cast<const char*>(id.bytes.data()), 16));
}

// Fingerprint width for n distinct (trace, page) pairs: about 1 false
// candidate page in 128 lookups of an absent trace, like a 10-bit Bloom
// filter.
uint32_t FingerprintBits(size_t n) {
  uint32_t bits = 7;
  while (bits < 32 && (size_t{1} << (bits - 7)) < n) ++bits;
  return std::max<uint32_t>(bits, 16);
}

// The `trace.fp` section (docs/formats/logs.md): sorted unique (fingerprint,
// page) pairs as varint fingerprint gaps, then the pages.
std::string EncodeTraceFingerprints(std::vector<std::pair<uint64_t, uint32_t>>* trace_pages) {
  const uint32_t bits = FingerprintBits(trace_pages->size());
  for (auto& [hash, page] : *trace_pages) hash >>= 64 - bits;
  std::sort(trace_pages->begin(), trace_pages->end());
  trace_pages->erase(std::unique(trace_pages->begin(), trace_pages->end()), trace_pages->end());
  std::string gaps, pages, out;
  uint64_t prev = 0;
  for (const auto& [fp, page] : *trace_pages) {
    PutVarint64(&gaps, fp - prev);
    PutVarint64(&pages, page);
    prev = fp;
  }
  PutVarint64(&out, bits);
  PutVarint64(&out, trace_pages->size());
  PutLengthPrefixed(&out, gaps);
  out += pages;
  return out;
}
}  // namespace

Result<BlockMeta> WriteLogBlock(std::span<const LogBlockSource> streams, BlockMeta meta,
                                const std::string& path, int text_level) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> w, BlockWriter::Create(path));
  std::string stream_table, runs;
  PutVarint64(&stream_table, streams.size());
  std::vector<LogBlockRun> run_list;
  std::vector<uint32_t> page_rows;
  std::vector<std::pair<uint64_t, uint32_t>> trace_pages;  // (hash of a row's trace, page)
  PageBuffer page;
  uint64_t row = 0;
  meta.min_time_ns = INT64_MAX;
  meta.max_time_ns = INT64_MIN;
  auto cut_page = [&]() -> Status {
    page_rows.push_back(static_cast<uint32_t>(page.timestamps.size()));
    return WritePage(w.get(), static_cast<uint32_t>(page_rows.size() - 1), text_level, page);
  };
  for (uint32_t s = 0; s < streams.size(); ++s) {
    const LogBlockSource& src = streams[s];
    if (src.entries.empty()) return Status::InvalidArgument("log block: empty stream");
    PutVarint64(&stream_table, src.labels->size());
    for (const auto& [name, value] : *src.labels) {
      PutLengthPrefixed(&stream_table, name);
      PutLengthPrefixed(&stream_table, value);
    }
    PutVarint64(&stream_table, ZigZagEncode(src.entries.front()->timestamp_ns));
    PutVarint64(&stream_table, ZigZagEncode(src.entries.back()->timestamp_ns));
    PutVarint64(&stream_table, src.entries.size());
    bool run_open = false;
    for (const LogEntry* e : src.entries) {
      if (page.line_bytes >= kLogPageLineBytes || page.timestamps.size() >= kLogPageRows) {
        RETURN_IF_ERROR(cut_page());
        run_open = false;
      }
      if (!run_open) {
        run_list.push_back(LogBlockRun{.stream = s,
                                       .page = static_cast<uint32_t>(page_rows.size()),
                                       .first = static_cast<uint32_t>(page.timestamps.size()),
                                       .rows = 0,
                                       .min_time_ns = e->timestamp_ns,
                                       .max_time_ns = e->timestamp_ns});
        run_open = true;
      }
      LogBlockRun& run = run_list.back();
      ++run.rows;
      run.max_time_ns = e->timestamp_ns;
      page.timestamps.push_back(e->timestamp_ns);
      page.lines.push_back(e->line);
      page.rows.push_back(
          LineRow{.timestamp_ns = e->timestamp_ns, .trace_id = e->trace_id, .span_id = e->span_id});
      page.line_bytes += e->line.size();
      page.meta_counts.push_back(static_cast<uint32_t>(e->structured_metadata.size()));
      for (const auto& [name, value] : e->structured_metadata) {
        page.meta_names.push_back(page.names.Add(name));
        page.meta_values.push_back(value);
      }
      uint32_t flags = 0;
      if (e->trace_id.valid()) {
        flags |= kHasTrace;
        page.ids.append(reinterpret_cast<const char*>(e->trace_id.bytes.data()), 16);
        trace_pages.emplace_back(TraceHash(e->trace_id), static_cast<uint32_t>(page_rows.size()));
      }
      if (e->span_id.valid()) {
        flags |= kHasSpan;
        page.ids.append(reinterpret_cast<const char*>(e->span_id.bytes.data()), 8);
      }
      page.id_flags.push_back(flags);
      meta.min_time_ns = std::min(meta.min_time_ns, e->timestamp_ns);
      meta.max_time_ns = std::max(meta.max_time_ns, e->timestamp_ns);
      ++row;
    }
  }
  if (row == 0) return Status::InvalidArgument("log block: no rows");
  if (row > UINT32_MAX) return Status::InvalidArgument("log block: too many rows");
  RETURN_IF_ERROR(cut_page());
  meta.rows = row;

  std::string pages;
  PutVarint64(&pages, page_rows.size());
  for (uint32_t n : page_rows) PutVarint64(&pages, n);
  PutVarint64(&runs, run_list.size());
  for (const LogBlockRun& r : run_list) {
    PutVarint64(&runs, r.stream);
    PutVarint64(&runs, r.page);
    PutVarint64(&runs, r.first);
    PutVarint64(&runs, r.rows);
    PutVarint64(&runs, ZigZagEncode(r.min_time_ns));
    PutVarint64(&runs, static_cast<uint64_t>(r.max_time_ns - r.min_time_ns));
  }
  RETURN_IF_ERROR(w->AddSection("streams", stream_table));
  RETURN_IF_ERROR(w->AddSection("pages", pages));
  RETURN_IF_ERROR(w->AddSection("runs", runs));
  RETURN_IF_ERROR(w->AddSection("trace.fp", EncodeTraceFingerprints(&trace_pages)));
  RETURN_IF_ERROR(w->Finish(meta.ToJson()));
  meta.bytes = w->bytes_written();
  return meta;
}

// ---- reading ----------------------------------------------------------------

Result<std::shared_ptr<const LogBlock>> LogBlock::Open(std::shared_ptr<const CatalogBlock> block) {
  std::shared_ptr<LogBlock> b(new LogBlock(std::move(block)));
  RETURN_IF_ERROR(b->Decode());
  return std::shared_ptr<const LogBlock>(std::move(b));
}

Status LogBlock::Decode() {
  const BlockReader& r = *block_->reader;
  wal_until_ = ParseWalUntil(block_->meta.extra_json);
  ASSIGN_OR_RETURN(std::string st, r.ReadSection("streams"));
  std::string_view in = st;
  uint64_t n;
  if (!GetVarint64(&in, &n) || n > in.size()) return Damaged(r, "bad stream table");
  streams_.resize(n);
  for (LogBlockStream& s : streams_) {
    uint64_t labels, lo, hi;
    if (!GetVarint64(&in, &labels) || labels > in.size()) return Damaged(r, "bad stream labels");
    s.labels.resize(labels);
    for (auto& [name, value] : s.labels) {
      std::string_view k, v;
      if (!GetLengthPrefixed(&in, &k) || !GetLengthPrefixed(&in, &v)) {
        return Damaged(r, "bad stream label");
      }
      name.assign(k);
      value.assign(v);
    }
    if (!GetVarint64(&in, &lo) || !GetVarint64(&in, &hi) || !GetVarint64(&in, &s.rows)) {
      return Damaged(r, "bad stream range");
    }
    s.min_time_ns = ZigZagDecode(lo);
    s.max_time_ns = ZigZagDecode(hi);
  }
  ASSIGN_OR_RETURN(std::string pages, r.ReadSection("pages"));
  in = pages;
  if (!GetVarint64(&in, &n) || n > in.size()) return Damaged(r, "bad page table");
  std::vector<uint32_t> page_rows(n);
  uint64_t total = 0;
  for (uint32_t& rows : page_rows) {
    uint64_t v;
    if (!GetVarint64(&in, &v) || v > kLogPageRows * 2) return Damaged(r, "bad page size");
    page_first_row_.push_back(total);
    rows = static_cast<uint32_t>(v);
    total += v;
  }
  if (total != block_->meta.rows) return Damaged(r, "page sizes disagree with the row count");
  ASSIGN_OR_RETURN(std::string runs, r.ReadSection("runs"));
  in = runs;
  if (!GetVarint64(&in, &n) || n > in.size()) return Damaged(r, "bad run directory");
  runs_.resize(n);
  stream_first_run_.assign(streams_.size() + 1, 0);
  for (size_t i = 0; i < runs_.size(); ++i) {
    LogBlockRun& run = runs_[i];
    uint64_t stream, page, first, rows, lo, span;
    if (!GetVarint64(&in, &stream) || !GetVarint64(&in, &page) || !GetVarint64(&in, &first) ||
        !GetVarint64(&in, &rows) || !GetVarint64(&in, &lo) || !GetVarint64(&in, &span)) {
      return Damaged(r, "truncated run directory");
    }
    if (stream >= streams_.size() || page >= page_rows.size() || rows == 0 ||
        first + rows > page_rows[page] || span > uint64_t{INT64_MAX}) {
      return Damaged(r, "run out of bounds");
    }
    if (i > 0 && (stream < runs_[i - 1].stream ||
                  (stream == runs_[i - 1].stream && page <= runs_[i - 1].page))) {
      return Damaged(r, "runs out of order");
    }
    run = LogBlockRun{
        .stream = static_cast<uint32_t>(stream),
        .page = static_cast<uint32_t>(page),
        .first = static_cast<uint32_t>(first),
        .rows = static_cast<uint32_t>(rows),
        .min_time_ns = ZigZagDecode(lo),
        .max_time_ns = static_cast<int64_t>(static_cast<uint64_t>(ZigZagDecode(lo)) + span)};
    stream_first_run_[stream + 1] = static_cast<uint32_t>(i + 1);
  }
  for (size_t s = 1; s < stream_first_run_.size(); ++s) {
    stream_first_run_[s] = std::max(stream_first_run_[s], stream_first_run_[s - 1]);
  }
  runs_by_page_.resize(runs_.size());
  for (uint32_t i = 0; i < runs_.size(); ++i) runs_by_page_[i] = i;
  std::sort(runs_by_page_.begin(), runs_by_page_.end(), [&](uint32_t a, uint32_t b) {
    return std::pair(runs_[a].page, runs_[a].first) < std::pair(runs_[b].page, runs_[b].first);
  });
  page_first_run_.assign(page_rows.size() + 1, 0);
  for (uint32_t i : runs_by_page_) ++page_first_run_[runs_[i].page + 1];
  for (size_t p = 1; p < page_first_run_.size(); ++p) page_first_run_[p] += page_first_run_[p - 1];
  if (r.HasSection("trace.fp")) return DecodeTraceFingerprints();
  // Blocks written before trace.fp: a Bloom filter over a full trace index.
  ASSIGN_OR_RETURN(std::string bloom, r.ReadSection("trace.bloom"));
  ASSIGN_OR_RETURN(BloomFilter filter, BloomFilter::Decode(bloom));
  bloom_ = std::move(filter);
  return Status::Ok();
}

Status LogBlock::DecodeTraceFingerprints() {
  const BlockReader& r = *block_->reader;
  ASSIGN_OR_RETURN(std::string bytes, r.ReadSection("trace.fp"));
  std::string_view in = bytes, gaps;
  uint64_t bits, n;
  if (!GetVarint64(&in, &bits) || bits < 1 || bits > 32 || !GetVarint64(&in, &n) ||
      n > block_->meta.rows || !GetLengthPrefixed(&in, &gaps)) {
    return Damaged(r, "bad trace fingerprints");
  }
  fp_bits_ = static_cast<uint32_t>(bits);
  fps_.resize(n);
  fp_pages_.resize(n);
  uint64_t fp = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t gap, page;
    if (!GetVarint64(&gaps, &gap) || !GetVarint64(&in, &page)) {
      return Damaged(r, "truncated trace fingerprints");
    }
    if (gap >= (uint64_t{1} << bits)) return Damaged(r, "trace fingerprint out of range");
    fp += gap;
    if (fp >= (uint64_t{1} << bits) || page >= page_count() ||
        (i > 0 && gap == 0 && page <= fp_pages_[i - 1])) {
      return Damaged(r, "trace fingerprint out of order or range");
    }
    fps_[i] = static_cast<uint32_t>(fp);
    fp_pages_[i] = static_cast<uint32_t>(page);
  }
  if (!gaps.empty() || !in.empty()) return Damaged(r, "trailing bytes in trace fingerprints");
  has_fingerprints_ = true;
  return Status::Ok();
}

std::span<const LogBlockRun> LogBlock::RunsOf(uint32_t stream) const {
  return std::span<const LogBlockRun>(runs_).subspan(
      stream_first_run_[stream], stream_first_run_[stream + 1] - stream_first_run_[stream]);
}

uint32_t LogBlock::StreamAt(uint32_t page, uint32_t row) const {
  for (uint32_t i = page_first_run_[page]; i < page_first_run_[page + 1]; ++i) {
    const LogBlockRun& run = runs_[runs_by_page_[i]];
    if (row >= run.first && row < run.first + run.rows) return run.stream;
  }
  return 0;  // unreachable for rows of the trace index (validated)
}

Result<std::shared_ptr<const LogPage>> LogBlock::ReadPage(uint32_t page) const {
  const BlockReader& r = *block_->reader;
  auto p = std::make_shared<LogPage>();
  p->reader_ = &r;
  p->page_ = page;
  const uint64_t want =
      (page + 1 < page_first_row_.size() ? page_first_row_[page + 1] : block_->meta.rows) -
      page_first_row_[page];
  // Times in byte planes (`time`), or before them EncodeInt64s (`ts`).
  if (const std::string time = PageSection(page, "time"); r.HasSection(time)) {
    ASSIGN_OR_RETURN(std::string ts, r.ReadSection(time));
    Result<std::vector<int64_t>> decoded = DecodePageTimes(ts, want);
    if (!decoded.ok()) {
      return Damaged(
          r, "page " + std::to_string(page) + ": " + std::string(decoded.status().message()));
    }
    p->timestamps_ = std::move(*decoded);
  } else {
    ASSIGN_OR_RETURN(std::string ts, r.ReadSection(PageSection(page, "ts")));
    ASSIGN_OR_RETURN(p->timestamps_, DecodeInt64s(ts));
  }
  const std::string text_section = PageSection(page, "text");
  p->coded_ = r.HasSection(text_section);
  size_t lines = 0;
  if (p->coded_) {
    RETURN_IF_ERROR(r.ReadSectionInto(text_section, &p->coded_bytes_, &p->coded_size_));
    ASSIGN_OR_RETURN(p->coded_lines_,
                     DecodeStrings(std::string_view(p->coded_bytes_.get(), p->coded_size_)));
    ASSIGN_OR_RETURN(p->hex_side_, r.ReadSection(PageSection(page, "hex")));
    // Version 2 of the codec (number regions) is told by its number
    // stream: packed columns (`nums`), or before them varints (`num`).
    const std::string packed = PageSection(page, "nums"), varints = PageSection(page, "num");
    p->num_packed_ = r.HasSection(packed);
    p->numbered_ = p->num_packed_ || r.HasSection(varints);
    if (p->numbered_) {
      ASSIGN_OR_RETURN(p->num_section_, r.ReadSection(p->num_packed_ ? packed : varints));
    }
    lines = p->coded_lines_.size();
  } else {
    // Blocks written before the line codec: plain lines.
    ASSIGN_OR_RETURN(std::string bytes, r.ReadSection(PageSection(page, "line")));
    ASSIGN_OR_RETURN(StringColumn plain, DecodeStrings(bytes));
    lines = plain.size();
    p->line_start_.reserve(lines + 1);
    p->line_start_.push_back(0);
    for (size_t i = 0; i < lines; ++i) {
      p->text_.append(plain[i]);
      p->line_start_.push_back(p->text_.size());
    }
    p->lines_ready_ = true;
  }
  if (p->timestamps_.size() != want || lines != want) {
    return Damaged(r, "page " + std::to_string(page) + " has the wrong number of rows");
  }
  RETURN_IF_ERROR(p->LoadIds());
  return std::shared_ptr<const LogPage>(std::move(p));
}

Result<std::shared_ptr<const LogBlock::TraceIndex>> LogBlock::LoadTraceIndex() const {
  std::lock_guard lock(trace_mu_);
  if (trace_index_ != nullptr) return trace_index_;
  const BlockReader& r = *block_->reader;
  ASSIGN_OR_RETURN(std::string bytes, r.ReadSection("trace.index"));
  std::string_view in = bytes, ids, counts, rows;
  if (!GetLengthPrefixed(&in, &ids) || !GetLengthPrefixed(&in, &counts) ||
      !GetLengthPrefixed(&in, &rows) || ids.size() % 16 != 0) {
    return Damaged(r, "bad trace index");
  }
  auto index = std::make_shared<TraceIndex>();
  index->ids.assign(ids);
  ASSIGN_OR_RETURN(std::vector<uint32_t> count, DecodeUint32s(counts, ids.size() / 16));
  ASSIGN_OR_RETURN(index->rows, DecodeUint32s(rows, block_->meta.rows));
  if (count.size() != ids.size() / 16) return Damaged(r, "trace index counts");
  index->start.push_back(0);
  uint64_t sum = 0;
  for (uint32_t c : count) index->start.push_back(static_cast<uint32_t>(sum += c));
  if (sum != index->rows.size()) return Damaged(r, "trace index rows");
  for (uint32_t row : index->rows) {
    if (row >= block_->meta.rows) return Damaged(r, "trace index row out of range");
  }
  trace_index_ = std::move(index);
  return trace_index_;
}

Result<std::vector<std::pair<uint32_t, uint32_t>>> LogBlock::RowsOfTrace(
    const TraceId& trace_id) const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  std::string_view key(reinterpret_cast<const char*>(trace_id.bytes.data()), 16);
  if (has_fingerprints_) {
    // Candidate pages by fingerprint, then the rows whose id is the trace.
    const uint32_t fp = static_cast<uint32_t>(Hash64(key) >> (64 - fp_bits_));
    const BlockReader& r = *block_->reader;
    for (auto it = std::lower_bound(fps_.begin(), fps_.end(), fp); it != fps_.end() && *it == fp;
         ++it) {
      const uint32_t page = fp_pages_[it - fps_.begin()];
      const uint64_t first = page_first_row_[page];
      const uint64_t rows =
          (page + 1 < page_first_row_.size() ? page_first_row_[page + 1] : block_->meta.rows) -
          first;
      std::string bytes;
      std::vector<uint32_t> flags, trace_at, span_at;
      RETURN_IF_ERROR(ReadIdColumn(r, page, rows, &bytes, &flags, &trace_at, &span_at));
      for (uint32_t i = 0; i < rows; ++i) {
        if ((flags[i] & kHasTrace) && memcmp(bytes.data() + trace_at[i], key.data(), 16) == 0) {
          out.emplace_back(page, i);
        }
      }
    }
    return out;
  }
  if (!bloom_->MayContain(Hash64(key))) return out;
  ASSIGN_OR_RETURN(std::shared_ptr<const TraceIndex> index, LoadTraceIndex());
  size_t lo = 0, hi = index->ids.size() / 16;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (memcmp(index->ids.data() + mid * 16, key.data(), 16) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == index->ids.size() / 16 || memcmp(index->ids.data() + lo * 16, key.data(), 16) != 0) {
    return out;
  }
  for (uint32_t i = index->start[lo]; i < index->start[lo + 1]; ++i) {
    const uint32_t row = index->rows[i];
    const auto page = static_cast<uint32_t>(
        std::upper_bound(page_first_row_.begin(), page_first_row_.end(), row) -
        page_first_row_.begin() - 1);
    out.emplace_back(page, static_cast<uint32_t>(row - page_first_row_[page]));
  }
  return out;
}

// ---- pages ------------------------------------------------------------------

namespace {

// Rows in [first, last) whose lines (line(i), contiguous) contain every
// needle.
template <typename LineFn>
std::vector<uint32_t> RowsWithAll(uint32_t first, uint32_t last,
                                  std::span<const std::string> needles, LineFn line) {
  std::vector<uint32_t> out;
  // The longest needle is searched across the run's contiguous text (one
  // memmem per hit, not one per line); the others are checked in the line.
  const std::string* lead = nullptr;
  for (const std::string& n : needles) {
    if (lead == nullptr || n.size() > lead->size()) lead = &n;
  }
  auto contains_all = [&](std::string_view l) {
    for (const std::string& n : needles) {
      if (&n != lead && l.find(n) == std::string_view::npos) return false;
    }
    return true;
  };
  if (lead == nullptr || lead->empty()) {
    for (uint32_t i = first; i < last; ++i) {
      if (contains_all(line(i))) out.push_back(i);
    }
    return out;
  }
  const char* pos = line(first).data();
  const char* end = line(last - 1).data() + line(last - 1).size();
  uint32_t row = first;
  while (pos < end) {
    const void* hit = memmem(pos, end - pos, lead->data(), lead->size());
    if (hit == nullptr) break;
    const char* h = static_cast<const char*>(hit);
    // The row holding the hit: the last one starting at or before it.
    uint32_t lo = row, hi = last;
    while (hi - lo > 1) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (line(mid).data() <= h) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    row = lo;
    std::string_view l = line(row);
    if (h + lead->size() > l.data() + l.size()) {  // straddles two lines
      pos = h + 1;
      continue;
    }
    if (contains_all(l)) out.push_back(row);
    if (++row >= last) break;
    pos = line(row).data();
  }
  return out;
}

}  // namespace

std::vector<uint32_t> LogPage::RowsContaining(uint32_t first, uint32_t last,
                                              std::span<const std::string> needles) const {
  if (first >= last) return {};
  // Encoded text is searched directly when no needle can meet a codec region
  // (most needles): the page's lines are then decoded only if a row is
  // delivered.
  // A needle holding a whole number (`u-12345"`) needs that number in the
  // page's number stream: most pages of a rare needle are ruled out without
  // decoding a line.
  if (numbered_ && !lines_ready_) {
    for (const std::string& n : needles) {
      for (const std::string& unit : NumbersInNeedle(n)) {
        if (!MayHoldNumber(unit)) return {};
      }
    }
  }
  bool encoded = coded_ && !lines_ready_;
  for (const std::string& n : needles) {
    encoded = encoded && NeedleMatchesEncodedExactly(n, numbered_);
  }
  if (encoded) {
    std::vector<uint32_t> out =
        RowsWithAll(first, last, needles, [&](uint32_t i) { return coded_lines_[i]; });
    DecodeSelected(out, last - first);
    return out;
  }
  // Needles refused only for a number at their end (`"status":500`) are
  // searched as head + number (NumberTailRows), without decoding the page.
  if (numbered_ && !lines_ready_ && LoadNumbers().ok()) {
    std::vector<NeedleSplit> splits;
    for (const std::string& n : needles) {
      if (NeedleMatchesEncodedExactly(n, true)) {
        splits.push_back(NeedleSplit{.head = n, .digits = {}, .whole = n});
        continue;
      }
      const size_t k = NumberTailAt(n);
      if (k == std::string::npos) break;
      splits.push_back(NeedleSplit{.head = std::string_view(n).substr(0, k),
                                   .digits = std::string_view(n).substr(k),
                                   .whole = n});
    }
    if (splits.size() == needles.size()) {
      std::vector<uint32_t> out = NumberTailRows(first, last, splits);
      DecodeSelected(out, last - first);
      return out;
    }
  }
  if (!lines_ready_) DecodeLines();
  if (!lines_status_.ok()) return {first};
  return RowsWithAll(first, last, needles, [&](uint32_t i) { return line(i); });
}

size_t LogPage::NumberTailAt(std::string_view needle) {
  // The tail: a digit word starting after a non-alphanumeric byte (a region
  // may start there, and in version 2 will if it is a number); the head must
  // be searchable as such.
  size_t k = needle.size();
  while (k > 0 && needle[k - 1] >= '0' && needle[k - 1] <= '9') --k;
  if (k == 0 || k == needle.size()) return std::string::npos;
  const auto before = static_cast<uint8_t>(needle[k - 1]);
  if ((before >= '0' && before <= '9') || ((before | 0x20) >= 'a' && (before | 0x20) <= 'z')) {
    return std::string::npos;
  }
  return NeedleMatchesEncodedExactly(needle.substr(0, k), true) ? k : std::string::npos;
}

std::vector<uint32_t> LogPage::NumberTailRows(uint32_t first, uint32_t last,
                                              std::span<const NeedleSplit> splits) const {
  std::vector<uint32_t> out;
  char buf[40];
  // Most runs have no escape at all: one look at the run spares one per hit.
  const char* run_start = coded_lines_[first].data();
  const size_t run_bytes =
      coded_lines_[last - 1].data() + coded_lines_[last - 1].size() - run_start;
  const bool escapes = memchr(run_start, kLineEscape, run_bytes) != nullptr;
  // Whether encoded line i holds head + digits at some match of the head:
  // literally, as a number whose rendering starts with the digits, or (any
  // other region) in the decoded line.
  // memmem: string_view::find compares at every byte equal to the head's
  // first (every quote of a JSON line).
  auto find = [](std::string_view l, std::string_view head, size_t from) -> size_t {
    if (from > l.size()) return std::string_view::npos;
    const void* hit = memmem(l.data() + from, l.size() - from, head.data(), head.size());
    return hit == nullptr ? std::string_view::npos : static_cast<const char*>(hit) - l.data();
  };
  // Whether the match of n.head at l[at] is one of the needle.
  auto holds_at = [&](uint32_t i, std::string_view l, const NeedleSplit& n, size_t at) {
    const size_t p = at + n.head.size();
    if (l.substr(p).starts_with(n.digits)) return true;
    if (p >= l.size()) return false;
    const auto code = static_cast<uint8_t>(l[p]);
    if (code == kLineNumber) {
      size_t ordinal = 0;  // codes 0x08 before p (a vectorized count), escapes apart
      for (size_t k = 0; k < p; ++k) ordinal += l[k] == kLineNumber;
      if (escapes && memchr(l.data(), kLineEscape, p) != nullptr) {
        ordinal = 0;
        for (size_t k = 0; k < p; ++k) {
          if (l[k] == kLineEscape) {
            ++k;
          } else if (l[k] == kLineNumber) {
            ++ordinal;
          }
        }
      }
      LineNumber num;
      // A damaged stream: the row is delivered, and delivering it reports
      // the damage.
      if (!NumberOf(i, static_cast<uint32_t>(ordinal), &num).ok()) return true;
      char* e = buf + sizeof buf;
      char* q = e;
      uint64_t v = num.value;
      do {
        *--q = static_cast<char>('0' + v % 10);
        v /= 10;
      } while (v != 0);
      for (uint64_t z = 0; z < num.zeros && q > buf; ++z) *--q = '0';
      return std::string_view(q, e - q).starts_with(n.digits);
    }
    if (code <= kLineLastCodeV2) return LineOf(i).find(n.whole) != std::string_view::npos;
    return false;
  };
  auto holds = [&](uint32_t i, std::string_view l, const NeedleSplit& n) {
    if (n.digits.empty()) return find(l, n.head, 0) != std::string_view::npos;
    for (size_t at = find(l, n.head, 0); at != std::string_view::npos;
         at = find(l, n.head, at + 1)) {
      if (holds_at(i, l, n, at)) return true;
    }
    return false;
  };
  // The lead needle (one ending in a number) is searched across the run's
  // contiguous text, one memmem per hit rather than one per line; the others
  // are checked in the rows it finds.
  const NeedleSplit* lead = nullptr;
  for (const NeedleSplit& n : splits) {
    if (!n.digits.empty() && !n.head.empty()) {
      lead = &n;
      break;
    }
  }
  if (lead == nullptr) {
    for (uint32_t i = first; i < last; ++i) {
      bool all = true;
      for (const NeedleSplit& n : splits) {
        if (all = holds(i, coded_lines_[i], n); !all) break;
      }
      if (all) out.push_back(i);
    }
    return out;
  }
  const std::string_view head = lead->head;
  const char* pos = coded_lines_[first].data();
  const char* end = coded_lines_[last - 1].data() + coded_lines_[last - 1].size();
  uint32_t row = first;
  while (pos < end) {
    const void* hit = memmem(pos, end - pos, head.data(), head.size());
    if (hit == nullptr) break;
    const char* h = static_cast<const char*>(hit);
    while (row + 1 < last && coded_lines_[row + 1].data() <= h) ++row;
    const std::string_view l = coded_lines_[row];
    const size_t at = h - l.data();
    if (at + head.size() > l.size() || !holds_at(row, l, *lead, at)) {
      pos = h + 1;  // straddles two lines, or not this match
      continue;
    }
    bool all = true;
    for (const NeedleSplit& n : splits) {
      if (&n == lead) continue;
      if (all = holds(row, l, n); !all) break;
    }
    if (all) out.push_back(row);
    if (++row >= last) break;
    pos = coded_lines_[row].data();
  }
  return out;
}

bool LogPage::MayHoldNumber(const std::string& unit) const {
  for (const auto& [u, found] : number_checks_) {
    if (u == unit) return found;
  }
  // Entries are parsed in order (counts and lengths first), so a match is a whole
  // entry; a damaged stream answers "maybe" and decoding reports it.
  bool found = true;
  std::string_view in = num_section_, counts, lengths, entry;
  LineNumber want;
  // Plane 0 is searched for the value's low byte; hits compare the rest.
  auto holds = [&](const NumberColumn& col) {
    const PackedNumberColumn& pc = col.packed;
    if ((want.zeros != 0 && !pc.has_zeros) || (pc.width < 8 && (want.value >> (8 * pc.width)) != 0))
      return false;
    const char* plane = col.plain.data();
    const char* end = plane + col.entries;
    LineNumber n;
    for (const char* q = plane; q < end; ++q) {
      q = static_cast<const char*>(memchr(q, static_cast<char>(want.value & 0xff), end - q));
      if (q == nullptr) return false;
      if (PackedNumberAt(col.plain, pc.width, pc.has_zeros, col.entries,
                         static_cast<uint32_t>(q - plane), &n) &&
          n.value == want.value && n.zeros == want.zeros) {
        return true;
      }
    }
    return false;
  };
  if (num_packed_) {
    std::string_view u = unit;
    if (!LoadNumbers().ok() || !ReadLineNumber(&u, &want).ok()) {
      number_checks_.emplace_back(unit, true);
      return true;
    }
    found = false;
    for (NumberColumn& col : num_columns_) {
      if (!col.unpacked) {
        col.unpacked = true;
        if (!UnpackNumberColumn(col.packed, col.entries, &col.plain).ok()) col.plain.clear();
      }
      // A damaged column answers "maybe"; decoding reports it.
      if (col.plain.empty() && col.entries != 0) found = true;
      if (found) break;
      found = holds(col);
    }
  } else if (GetLengthPrefixed(&in, &counts) && GetLengthPrefixed(&in, &lengths)) {
    found = false;
    while (!found && NextNumber(&in, &entry)) found = entry == unit;
    found = found || !in.empty();
  }
  number_checks_.emplace_back(unit, found);
  return found;
}

void LogPage::DecodeSelected(std::span<const uint32_t> rows, size_t of) const {
  // Rows decoded one by one (into an arena) cost about what one pass over
  // the page costs per row, plus a pass to find each row's hex runs: the
  // pass wins when most rows are delivered. Judged per run, as the page's
  // runs are reached one cursor at a time.
  if (!lines_ready_ && rows.size() * 2 > of) DecodeLines();
  // Else the selected rows are decoded now, in row order, while the run's
  // text and number columns are in cache: delivery comes later, one row at
  // a time interleaved with other pages (a merge of streams and blocks),
  // when each row would miss the cache once per number column.
  if (lines_ready_) return;
  for (uint32_t r : rows) (void)LineOf(r);
}

std::pair<TraceId, SpanId> LogPage::IdsOf(size_t i) const {
  std::pair<TraceId, SpanId> ids;
  if (id_flags_[i] & kHasTrace) memcpy(ids.first.bytes.data(), id_bytes_.data() + trace_at_[i], 16);
  if (id_flags_[i] & kHasSpan) memcpy(ids.second.bytes.data(), id_bytes_.data() + span_at_[i], 8);
  return ids;
}

Status LogPage::LoadIds() {
  return ReadIdColumn(*reader_, page_, size(), &id_bytes_, &id_flags_, &trace_at_, &span_at_);
}

Status LogPage::LoadNumbers() const {
  if (!numbered_ || numbers_ready_) return numbers_status_;
  numbers_ready_ = true;
  numbers_status_ = [&]() -> Status {
    auto bad = [&](std::string_view what) {
      return Damaged(*reader_, std::string(what) + " in page " + std::to_string(page_));
    };
    std::vector<PackedNumberColumn> packed;
    std::string_view in = num_section_, count_bytes, lengths;
    if (num_packed_) {
      if (Status s = ParseNumberColumns(num_section_, size(), &num_count_, &packed); !s.ok()) {
        return bad(s.message());
      }
    } else {
      if (!GetLengthPrefixed(&in, &count_bytes)) return bad("bad number counts");
      ASSIGN_OR_RETURN(num_count_, DecodeUint32s(count_bytes, size()));
      if (num_count_.size() != size()) return bad("wrong number of number counts");
      if (!GetLengthPrefixed(&in, &lengths)) return bad("bad number column lengths");
    }
    // The distinct counts, ascending: count group g owns columns
    // [group_column[g], group_column[g] + its count).
    const std::vector<uint32_t> distinct = DistinctNumberCounts(num_count_);
    // Every column's length takes at least a byte: bounds the columns
    // before any allocation.
    uint64_t columns = 0;
    std::vector<uint32_t> group_column(distinct.size());
    for (size_t g = 0; g < distinct.size(); ++g) {
      group_column[g] = static_cast<uint32_t>(columns);
      columns += distinct[g];
      if (!num_packed_ && columns > lengths.size()) return bad("bad number column lengths");
    }
    std::vector<uint32_t> group_rows(distinct.size(), 0);
    num_column_.resize(size());
    num_rank_.resize(size());
    uint32_t group_of_small[256] = {};
    for (size_t g = 0; g < distinct.size() && distinct[g] < 256; ++g) {
      group_of_small[distinct[g]] = static_cast<uint32_t>(g);
    }
    for (size_t r = 0; r < size(); ++r) {
      const uint32_t c = num_count_[r];
      if (c == 0) continue;
      const size_t g =
          c < 256 ? group_of_small[c]
                  : std::lower_bound(distinct.begin(), distinct.end(), c) - distinct.begin();
      num_column_[r] = group_column[g];
      num_rank_[r] = group_rows[g]++;
    }
    num_columns_.assign(columns, NumberColumn());
    if (num_packed_) {
      if (packed.size() != columns) return bad("bad number column lengths");
      for (size_t g = 0; g < distinct.size(); ++g) {
        for (uint32_t o = 0; o < distinct[g]; ++o) {
          NumberColumn& col = num_columns_[group_column[g] + o];
          col.packed = packed[group_column[g] + o];
          col.entries = group_rows[g];
          if (Status s = CheckNumberColumn(col.packed, col.entries); !s.ok()) {
            return bad(s.message());
          }
        }
      }
      return Status::Ok();
    }
    for (size_t g = 0; g < distinct.size(); ++g) {
      for (uint32_t o = 0; o < distinct[g]; ++o) {
        NumberColumn& col = num_columns_[group_column[g] + o];
        uint64_t len;
        if (!GetVarint64(&lengths, &len)) return bad("bad number column lengths");
        if (len > in.size()) return bad("truncated number stream");
        // Every number takes at least a byte.
        if (len < group_rows[g]) return bad("truncated number stream");
        col.bytes = in.substr(0, len);
        col.entries = group_rows[g];
        in.remove_prefix(len);
      }
    }
    if (!lengths.empty()) return bad("bad number column lengths");
    if (!in.empty()) return bad("unused numbers");
    return Status::Ok();
  }();
  return numbers_status_;
}

namespace {

// Skips one number-stream entry at in[*at] (log_line_codec.h: one varint,
// two when the first is odd) without parsing it; false when it runs past
// the end. Values are checked when read (ReadLineNumber).
inline bool SkipNumber(std::string_view in, uint32_t* at) {
  size_t k = *at;
  if (k >= in.size()) return false;
  const bool zeros = (static_cast<uint8_t>(in[k]) & 1) != 0;
  for (int varints = zeros ? 2 : 1; varints > 0; --varints) {
    while (k < in.size() && (static_cast<uint8_t>(in[k]) & 0x80) != 0) ++k;
    if (k++ >= in.size()) return false;
  }
  *at = static_cast<uint32_t>(k);
  return true;
}

}  // namespace

Status LogPage::NumberOf(size_t i, uint32_t ordinal, LineNumber* out) const {
  RETURN_IF_ERROR(LoadNumbers());
  auto damaged = [&](std::string_view what) {
    numbers_status_ = Damaged(*reader_, std::string(what) + " in page " + std::to_string(page_));
    return numbers_status_;
  };
  if (ordinal >= num_count_[i]) return damaged("truncated number stream");
  NumberColumn& col = num_columns_[num_column_[i] + ordinal];
  const uint32_t rank = num_rank_[i];
  if (rank >= col.entries) return damaged("truncated number stream");
  if (num_packed_) {
    if (!col.unpacked) {
      col.unpacked = true;
      if (Status s = UnpackNumberColumn(col.packed, col.entries, &col.plain); !s.ok()) {
        col.plain.clear();
        return damaged(s.message());
      }
    }
    if (col.plain.empty()) return damaged("bad number column");
    if (!PackedNumberAt(col.plain, col.packed.width, col.packed.has_zeros, col.entries, rank,
                        out)) {
      return damaged("line codec: number out of range");
    }
    col.last_rank = rank;
    return Status::Ok();
  }
  // Forward from the entry read last (or the column's start): one pass over
  // the column serves rows read in order. Backward, from the marks.
  const bool none = col.last_rank == UINT32_MAX;
  uint32_t at = none ? 0 : col.last_end;
  uint32_t from = none ? 0 : col.last_rank + 1;
  if (!none && rank <= col.last_rank) {
    if (!col.indexed) {
      col.indexed = true;
      col.marks.reserve(col.entries / 16 + 1);
      uint32_t m = 0;
      for (uint32_t e = 0; e < col.entries; ++e) {
        if (e % 16 == 0) col.marks.push_back(m);
        if (!SkipNumber(col.bytes, &m)) return damaged("truncated number stream");
      }
      if (m != col.bytes.size()) return damaged("unused numbers");
    }
    at = col.marks[rank / 16];
    from = rank & ~15u;
  } else if (col.indexed && (rank & ~15u) > from) {
    at = col.marks[rank / 16];
    from = rank & ~15u;
  }
  for (; from < rank; ++from) {
    if (!SkipNumber(col.bytes, &at)) return damaged("truncated number stream");
  }
  std::string_view in = col.bytes.substr(at);
  if (Status s = ReadLineNumber(&in, out); !s.ok()) return damaged(s.message());
  col.last_rank = rank;
  col.last_end = static_cast<uint32_t>(col.bytes.size() - in.size());
  return Status::Ok();
}

Status LogPage::RowNumbers(size_t i) const {
  row_numbers_.clear();
  if (!numbered_) return Status::Ok();
  row_numbers_.resize(num_count_[i]);
  for (uint32_t o = 0; o < num_count_[i]; ++o) RETURN_IF_ERROR(NumberOf(i, o, &row_numbers_[o]));
  return Status::Ok();
}

void LogPage::DecodeLines() const {
  lines_ready_ = true;
  if (Status s = LoadNumbers(); !s.ok()) {
    lines_status_ = s;
    text_.clear();
    line_start_.assign(size() + 1, 0);
    return;
  }
  text_.clear();
  text_.reserve(coded_size_ + coded_size_ / 4 + num_section_.size() * 4);
  line_start_.assign(1, 0);
  line_start_.reserve(size() + 1);
  std::string_view side = hex_side_;
  bool unused_numbers = false;
  for (size_t i = 0; i < size(); ++i) {
    const auto [trace, span] = IdsOf(i);
    Status s = RowNumbers(i);
    if (!s.ok()) {
      lines_status_ = s;
      break;
    }
    std::span<const LineNumber> numbers = row_numbers_;
    s = DecodeLogLine(coded_lines_[i],
                      LineRow{.timestamp_ns = timestamps_[i], .trace_id = trace, .span_id = span},
                      &side, &text_, numbered_ ? &numbers : nullptr);
    // A row with numbers left over is reported after the codec errors of
    // the rows (the number stream is the page's, as in version 1's side).
    unused_numbers = unused_numbers || !numbers.empty();
    if (!s.ok()) {
      lines_status_ =
          Damaged(*reader_, "line " + std::to_string(i) + " of page " + std::to_string(page_) +
                                ": " + std::string(s.message()));
      break;
    }
    line_start_.push_back(text_.size());
  }
  // Every column was read to its last entry: it must end there.
  for (const NumberColumn& col : num_columns_) {
    if (!lines_status_.ok() || num_packed_) break;
    unused_numbers =
        unused_numbers || col.last_rank + 1 != col.entries || col.last_end != col.bytes.size();
  }
  if (lines_status_.ok() && (!side.empty() || unused_numbers)) {
    lines_status_ =
        Damaged(*reader_, std::string(unused_numbers ? "unused numbers" : "unused hex runs") +
                              " in page " + std::to_string(page_));
  }
  if (!lines_status_.ok()) {
    text_.clear();
    line_start_.assign(size() + 1, 0);
  }
}

Status LogPage::FindSideRuns() const {
  if (side_ready_) return side_status_;
  side_ready_ = true;
  side_status_ = [&]() -> Status {
    RETURN_IF_ERROR(LoadNumbers());
    std::string_view side = hex_side_;
    const uint8_t last = numbered_ ? kLineLastCodeV2 : kLineLastCode;
    side_start_.assign(1, 0);
    side_start_.reserve(size() + 1);
    for (size_t i = 0; i < size(); ++i) {
      const std::string_view l = coded_lines_[i];
      const char* end = l.data() + l.size();
      const bool escapes = memchr(l.data(), kLineEscape, l.size()) != nullptr;
      // Without escapes every byte 0x06 is a hex run: memchr finds them.
      for (const char* q = l.data(); q < end; ++q) {
        if (!escapes) {
          q = static_cast<const char*>(memchr(q, kLineHexRun, end - q));
          if (q == nullptr) break;
        } else if (*q == kLineEscape) {
          if (++q == end || static_cast<uint8_t>(*q) > last) {
            return Damaged(*reader_,
                           "line " + std::to_string(i) + " of page " + std::to_string(page_) +
                               ": line codec: " +
                               (q == end ? "dangling escape" : "escape of a byte that needs none"));
          }
          continue;
        } else if (*q != kLineHexRun) {
          continue;
        }
        uint64_t bytes;
        if (!GetVarint64(&side, &bytes) || bytes < kLineMinHexRun / 2 || bytes > side.size()) {
          return Damaged(*reader_, "line " + std::to_string(i) + " of page " +
                                       std::to_string(page_) +
                                       ": line codec: truncated hex side stream");
        }
        side.remove_prefix(bytes);
      }
      side_start_.push_back(hex_side_.size() - side.size());
    }
    if (!side.empty()) return Damaged(*reader_, "unused hex runs in page " + std::to_string(page_));
    return Status::Ok();
  }();
  return side_status_;
}

std::string_view LogPage::LineOf(size_t i) const {
  if (row_done_.empty()) {
    row_done_.assign(size(), 0);
    row_views_.resize(size());
  }
  if (row_done_[i]) return row_views_[i];
  // Past half the page, one pass over all of it is cheaper. Views already
  // handed out stay valid: the arena is kept.
  if (rows_decoded_ > size() / 2 || !FindSideRuns().ok()) {
    DecodeLines();
    return line(i);
  }
  std::string& out = row_scratch_;
  out.clear();
  std::string_view side =
      std::string_view(hex_side_).substr(side_start_[i], side_start_[i + 1] - side_start_[i]);
  const auto [trace, span] = IdsOf(i);
  Status s = RowNumbers(i);
  std::span<const LineNumber> numbers = row_numbers_;
  if (s.ok()) {
    s = DecodeLogLine(coded_lines_[i],
                      LineRow{.timestamp_ns = timestamps_[i], .trace_id = trace, .span_id = span},
                      &side, &out, numbered_ ? &numbers : nullptr);
    if (s.ok() && !side.empty()) s = Status::InvalidArgument("hex runs left over");
    if (s.ok() && !numbers.empty()) s = Status::InvalidArgument("line codec: unused numbers");
    if (!s.ok()) {
      s = Damaged(*reader_, "line " + std::to_string(i) + " of page " + std::to_string(page_) +
                                ": " + std::string(s.message()));
    }
  }
  if (!s.ok()) {
    if (row_status_.ok()) row_status_ = s;
    out.clear();
  }
  // Into the arena: chunks are never reallocated, so views stay valid.
  if (row_arena_.empty() ||
      row_arena_.back()->capacity() - row_arena_.back()->size() < out.size()) {
    row_arena_.push_back(std::make_unique<std::string>());
    row_arena_.back()->reserve(std::max<size_t>(64 << 10, out.size()));
  }
  std::string& chunk = *row_arena_.back();
  const size_t at = chunk.size();
  chunk.append(out);
  row_views_[i] = std::string_view(chunk.data() + at, out.size());
  row_done_[i] = 1;
  ++rows_decoded_;
  return row_views_[i];
}

Status LogPage::LineStatus(size_t i) const {
  (void)line(i);
  RETURN_IF_ERROR(lines_status_);
  return row_status_;
}

Status LogPage::LoadExtras() const {
  if (extras_loaded_) return extras_status_;
  extras_loaded_ = true;
  extras_status_ = [&]() -> Status {
    const BlockReader& r = *reader_;
    ASSIGN_OR_RETURN(meta_bytes_, r.ReadSection(PageSection(page_, "meta")));
    std::string_view in = meta_bytes_, names, counts, ids, values, side;
    if (!GetLengthPrefixed(&in, &names) || !GetLengthPrefixed(&in, &counts) ||
        !GetLengthPrefixed(&in, &ids) || !GetLengthPrefixed(&in, &values) ||
        (coded_ && !GetLengthPrefixed(&in, &side))) {
      return Damaged(r, "bad metadata of page " + std::to_string(page_));
    }
    ASSIGN_OR_RETURN(StringDictionary dict, StringDictionary::Decode(names));
    meta_names_ = std::move(dict);
    ASSIGN_OR_RETURN(std::vector<uint32_t> count, DecodeUint32s(counts, size()));
    ASSIGN_OR_RETURN(StringColumn value_column, DecodeStrings(values));
    ASSIGN_OR_RETURN(meta_name_ids_, DecodeUint32s(ids, value_column.size()));
    if (count.size() != size() || meta_name_ids_.size() != value_column.size()) {
      return Damaged(r, "metadata sizes of page " + std::to_string(page_));
    }
    meta_start_.assign(1, 0);
    for (uint32_t c : count) meta_start_.push_back(meta_start_.back() + c);
    if (meta_start_.back() != value_column.size()) {
      return Damaged(r, "metadata counts of page " + std::to_string(page_));
    }
    // Values are decoded when their row is delivered (a filter delivering
    // one row in ten decoded the whole page's before); here only where each
    // value's hex runs start, when there are any.
    meta_values_ = std::move(value_column);
    meta_side_ = side;
    meta_side_start_.clear();
    if (coded_ && !side.empty()) {
      meta_side_start_.reserve(meta_values_.size() + 1);
      std::string_view rest = side;
      for (size_t k = 0; k < meta_values_.size(); ++k) {
        meta_side_start_.push_back(side.size() - rest.size());
        if (Status s = SkipLogLine(meta_values_[k], &rest); !s.ok()) {
          return Damaged(
              r, "metadata of page " + std::to_string(page_) + ": " + std::string(s.message()));
        }
      }
      meta_side_start_.push_back(side.size() - rest.size());
      if (!rest.empty()) {
        return Damaged(r, "unused metadata hex runs in page " + std::to_string(page_));
      }
    }
    return Status::Ok();
  }();
  return extras_status_;
}

Status LogPage::Metadata(size_t i, Labels* out) const {
  RETURN_IF_ERROR(LineStatus(i));
  RETURN_IF_ERROR(LoadExtras());
  out->clear();
  for (uint64_t k = meta_start_[i]; k < meta_start_[i + 1]; ++k) {
    std::optional<std::string_view> name = meta_names_->Lookup(meta_name_ids_[k]);
    if (!name) return Damaged(*reader_, "metadata name id out of range");
    if (!coded_) {
      out->emplace_back(std::string(*name), std::string(meta_values_[k]));
      continue;
    }
    std::string_view side;
    if (!meta_side_start_.empty()) {
      side = meta_side_.substr(meta_side_start_[k], meta_side_start_[k + 1] - meta_side_start_[k]);
    }
    const auto [trace, span] = IdsOf(i);
    std::string value;
    Status s = DecodeLogLine(
        meta_values_[k],
        LineRow{.timestamp_ns = timestamps_[i], .trace_id = trace, .span_id = span}, &side, &value);
    if (s.ok() && !side.empty()) s = Status::InvalidArgument("hex runs left over");
    if (!s.ok()) {
      return Damaged(*reader_,
                     "metadata of page " + std::to_string(page_) + ": " + std::string(s.message()));
    }
    out->emplace_back(std::string(*name), std::move(value));
  }
  return Status::Ok();
}

Result<std::pair<TraceId, SpanId>> LogPage::Ids(size_t i) const {
  RETURN_IF_ERROR(LineStatus(i));
  RETURN_IF_ERROR(LoadExtras());
  return IdsOf(i);
}

}  // namespace quartet::store
