// LogBlock: the log table's immutable on-disk block (docs/formats/logs.md),
// its writer (WriteLogBlock, from a frozen LogHead or any row source) and its
// reader. Rows are sorted by (stream, timestamp) and cut into pages; each
// page's columns are separate zstd sections, so a query decodes only the
// pages of the streams and time range it asks for. The index sections — the
// stream table, the run directory (one entry per stream per page, with its
// time range) and the trace index (a fingerprint of each trace id with the
// pages holding it; the ids themselves are stored once, in the pages) — are
// decoded once per block into a LogBlock and cached by the
// table. Lines and metadata values are stored through the line codec
// (log_line_codec.h): the row's own ids and time spelled in the text cost a
// byte each, and a substring filter runs on the encoded text when it can.
//
// Thread-safety: WriteLogBlock is a pure function of its input. A LogBlock is
// immutable after Open: share it freely. A LogPage is a per-query value: its
// lazily decoded columns are not guarded, so one thread uses it at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "server/store/block/bloom_filter.h"
#include "server/store/block/catalog.h"
#include "server/store/block/column.h"
#include "server/store/interface.h"
#include "server/store/logs/log_line_codec.h"
#include "server/store/logs/log_page_columns.h"
#include "server/store/wal_coverage.h"

namespace quartet::store {

// Pages are cut when they hold this much line text or this many rows.
inline constexpr size_t kLogPageLineBytes = 1 << 20;
inline constexpr size_t kLogPageRows = 64 << 10;
// The zstd level of a page's encoded lines (the bulk of a block): moderate
// when a head is flushed (on the ingest path's heels), strong when a settled
// window small enough to finish quickly is compacted (log_table.cc).
inline constexpr int kLogTextLevel = 9;
inline constexpr int kLogCompactedTextLevel = 19;
// The zstd level of a page's numbers (log_line_codec.h): 16 is the lowest
// whose block splitter gives each number column its own entropy tables —
// 9% smaller than level 9 on access-log numbers, at ~8 ms per MB of them.
inline constexpr int kLogNumberLevel = 16;

// One stream of a block: its labels and where its rows are.
struct LogBlockStream {
  Labels labels;
  int64_t min_time_ns = 0;
  int64_t max_time_ns = 0;
  uint64_t rows = 0;
};

// The rows of one stream inside one page: [first, first + rows) of the page,
// in time order, with their time range.
struct LogBlockRun {
  uint32_t stream = 0;
  uint32_t page = 0;
  uint32_t first = 0;
  uint32_t rows = 0;
  int64_t min_time_ns = 0;
  int64_t max_time_ns = 0;
};

// What a block writer consumes: streams in the order they will be stored
// (sorted by label text), each with its entries in time order.
struct LogBlockSource {
  const Labels* labels;
  std::vector<const LogEntry*> entries;
};

// Writes the rows of `streams` as block `meta.id` at `path` (meta's time
// range and row count are filled in) and returns the finished meta, with the
// pages' lines compressed at zstd `text_level`. Empty input is
// InvalidArgument.
Result<BlockMeta> WriteLogBlock(std::span<const LogBlockSource> streams, BlockMeta meta,
                                const std::string& path, int text_level = kLogTextLevel);

// The columns of one decoded page. Timestamps, ids and the encoded lines are
// read at once; lines are decoded (log_line_codec.h) on first use, so a
// substring scan whose needles can be searched in encoded text and that
// matches nothing never pays for it; metadata is decoded on first use too.
class LogPage {
 public:
  size_t size() const { return timestamps_.size(); }
  int64_t timestamp(size_t i) const { return timestamps_[i]; }
  // The row's line; empty when the page's lines cannot be decoded (then
  // Metadata and Ids return the DataLoss).
  std::string_view line(size_t i) const {
    if (!lines_ready_) return LineOf(i);
    return std::string_view(text_.data() + line_start_[i], line_start_[i + 1] - line_start_[i]);
  }
  // Rows in [first, last) whose lines contain every needle, in row order.
  // When the lines cannot be decoded it returns `first`, so that delivering
  // it reports the damage.
  std::vector<uint32_t> RowsContaining(uint32_t first, uint32_t last,
                                       std::span<const std::string> needles) const;
  // The row's structured metadata, trace and span ids; DataLoss if the
  // page's metadata, id or line section is damaged.
  Status Metadata(size_t i, Labels* out) const;
  Result<std::pair<TraceId, SpanId>> Ids(size_t i) const;

 private:
  friend class LogBlock;
  Status LoadIds();
  Status LoadExtras() const;
  Status LoadNumbers() const;
  bool MayHoldNumber(const std::string& unit) const;
  // A needle as head + trailing digit word (digits empty: the head alone).
  struct NeedleSplit {
    std::string_view head, digits, whole;
  };
  // Where a needle's trailing number starts, if the needle is refused for
  // encoded search only because of it; else npos.
  static size_t NumberTailAt(std::string_view needle);
  std::vector<uint32_t> NumberTailRows(uint32_t first, uint32_t last,
                                       std::span<const NeedleSplit> splits) const;
  void DecodeLines() const;
  void DecodeSelected(std::span<const uint32_t> rows, size_t of) const;
  std::string_view LineOf(size_t i) const;
  Status LineStatus(size_t i) const;
  Status FindSideRuns() const;
  std::pair<TraceId, SpanId> IdsOf(size_t i) const;

  const BlockReader* reader_ = nullptr;  // the block outlives its pages (held by the cursor)
  uint32_t page_ = 0;
  bool coded_ = false;  // lines and metadata values use the line codec
  std::vector<int64_t> timestamps_;
  std::string id_bytes_;
  std::vector<uint32_t> id_flags_;
  std::vector<uint32_t> trace_at_, span_at_;  // row -> offset in id_bytes_
  // Coded pages: the encoded line column (not zeroed before decompressing
  // into it: a page's text is ~1 MB).
  std::unique_ptr<char[]> coded_bytes_;
  size_t coded_size_ = 0;
  StringColumn coded_lines_;
  std::string hex_side_;     // coded pages: the lines' packed hex runs
  bool numbered_ = false;    // codec version 2: number regions, their values below
  bool num_packed_ = false;  // ... in packed columns (`nums`), not varints (`num`)
  std::string num_section_;  // the `num` section as stored (numbers by column)
  // The section's index, from num_section_ on first use: per row its count
  // of numbers, its count's first column and its rank among the rows of
  // that count; the columns are parsed one at a time when first needed (a
  // filter on one field parses that field's column alone).
  // A column is read in place: an entry is read going forward from the
  // entry read last (rows are mostly read in order); the first read going
  // back makes one pass over the column that checks it holds exactly its
  // entries and marks every 16th entry's offset, and later reads start at
  // the nearest mark. No parsed copy of the page's numbers is made:
  // delivering one row in ten from 16 columns then stays in cache.
  struct NumberColumn {
    // Packed columns (`nums`): the frame, unpacked on first use; entry k
    // is then a direct read.
    PackedNumberColumn packed;
    bool unpacked = false;
    std::string plain;       // empty after a failed unpack
    std::string_view bytes;  // varint columns (`num`): into num_section_
    uint32_t entries = 0;
    bool indexed = false;
    std::vector<uint32_t> marks;  // offset of entry 16k
    uint32_t last_rank = UINT32_MAX, last_end = 0;
  };
  mutable bool numbers_ready_ = false;
  mutable Status numbers_status_;
  mutable std::vector<uint32_t> num_count_, num_column_, num_rank_;
  mutable std::vector<NumberColumn> num_columns_;
  mutable std::vector<LineNumber> row_numbers_;  // scratch: one row's numbers
  // The `ordinal`-th number of row i (ordinal < its count); DataLoss when
  // its column is damaged.
  Status NumberOf(size_t i, uint32_t ordinal, LineNumber* out) const;
  // Row i's numbers, in line order, into row_numbers_.
  Status RowNumbers(size_t i) const;
  // Number-stream entries looked for by filters (NumbersInNeedle), and
  // whether the page has them.
  mutable std::vector<std::pair<std::string, bool>> number_checks_;
  // Decoded lines, back to back (a run's text is contiguous).
  mutable bool lines_ready_ = false;
  mutable Status lines_status_;
  mutable std::string text_;
  mutable std::vector<uint64_t> line_start_;  // size() + 1 entries
  // Before a full decode, rows decoded one by one (a filter that matches few
  // rows delivers them without decoding the page), with where each row's
  // hex runs start in hex_side_.
  mutable std::vector<uint8_t> row_done_;  // size() entries once a row is decoded
  mutable std::vector<std::string_view> row_views_;
  mutable std::vector<std::unique_ptr<std::string>> row_arena_;
  mutable std::string row_scratch_;
  mutable size_t rows_decoded_ = 0;
  mutable Status row_status_;
  mutable bool side_ready_ = false;
  mutable Status side_status_;
  mutable std::vector<uint64_t> side_start_;  // size() + 1 entries
  // Lazily decoded.
  mutable bool extras_loaded_ = false;
  mutable Status extras_status_;
  mutable std::string meta_bytes_;
  mutable std::optional<StringDictionary> meta_names_;
  mutable std::vector<uint64_t> meta_start_;  // per row + 1: index into meta_name_ids_
  mutable std::vector<uint32_t> meta_name_ids_;
  mutable StringColumn meta_values_;               // encoded values, into meta_bytes_
  mutable std::string_view meta_side_;             // their hex runs, into meta_bytes_
  mutable std::vector<uint64_t> meta_side_start_;  // per value + 1; empty: no runs
};

class LogBlock {
 public:
  // Decodes the index sections of a catalog block; DataLoss when damaged.
  static Result<std::shared_ptr<const LogBlock>> Open(std::shared_ptr<const CatalogBlock> block);

  const BlockMeta& meta() const { return block_->meta; }
  const std::shared_ptr<const CatalogBlock>& catalog_block() const { return block_; }
  const std::vector<LogBlockStream>& streams() const { return streams_; }
  // The runs of one stream, in time order.
  std::span<const LogBlockRun> RunsOf(uint32_t stream) const;
  uint32_t page_count() const { return static_cast<uint32_t>(page_first_row_.size()); }
  // The WAL segment this block's rows came from all precede (0 if unknown).
  uint64_t wal_until() const { return wal_until_; }

  Result<std::shared_ptr<const LogPage>> ReadPage(uint32_t page) const;

  // Rows carrying trace_id, as (page, row in page), in storage order; empty
  // when the trace index rules the block out. Reads the id column of the
  // candidate pages.
  Result<std::vector<std::pair<uint32_t, uint32_t>>> RowsOfTrace(const TraceId& trace_id) const;
  // The stream of a (page, row), found through the run directory.
  uint32_t StreamAt(uint32_t page, uint32_t row) const;

 private:
  explicit LogBlock(std::shared_ptr<const CatalogBlock> block) : block_(std::move(block)) {}
  Status Decode();
  Status DecodeTraceFingerprints();

  std::shared_ptr<const CatalogBlock> block_;
  std::vector<LogBlockStream> streams_;
  std::vector<LogBlockRun> runs_;           // by stream, then page
  std::vector<uint32_t> stream_first_run_;  // streams_.size() + 1 entries
  std::vector<uint32_t> page_first_run_;    // pages + 1 entries, into runs_by_page_
  std::vector<uint32_t> runs_by_page_;      // run indexes ordered by (page, first)
  std::vector<uint64_t> page_first_row_;
  // The trace index: sorted unique (fingerprint of a trace id, page) pairs
  // (`trace.fp`); blocks written before it have a Bloom filter and the full
  // index below.
  bool has_fingerprints_ = false;
  uint32_t fp_bits_ = 0;
  std::vector<uint32_t> fps_;
  std::vector<uint32_t> fp_pages_;
  std::optional<BloomFilter> bloom_;
  uint64_t wal_until_ = 0;

  // The trace index proper, decoded on the first lookup the Bloom filter
  // lets through.
  struct TraceIndex {
    std::string ids;              // sorted 16-byte ids
    std::vector<uint32_t> start;  // per id + 1: index into rows
    std::vector<uint32_t> rows;   // global row numbers
  };
  Result<std::shared_ptr<const TraceIndex>> LoadTraceIndex() const;
  mutable std::mutex trace_mu_;
  mutable std::shared_ptr<const TraceIndex> trace_index_;  // guarded by trace_mu_
};

}  // namespace quartet::store
