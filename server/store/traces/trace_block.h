// Trace blocks, format v2 (docs/formats/traces.md): the immutable on-disk
// form of a set of traces. TraceBlockBuilder writes one from traces handed to
// it in trace id order; spans are stored column by column in row groups of
// whole traces (span_columns.h). TraceBlockIndex is the decoded, query-ready
// index of a written block (sorted ids, Bloom filter, per-trace summaries and
// row-group locations, resource/scope tables, tag tables, the directory of
// the span-attribute postings): one trace is read by decoding one row group,
// and span conditions are evaluated over columns and postings
// (MatchSpanConditions) without rebuilding OTLP.
//
// Thread-safety: a builder is used by one thread. A TraceBlockIndex is
// immutable after Load: share it (shared_ptr<const>) between queries; all its
// methods are const and safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/store/block/block_meta.h"
#include "server/store/block/block_reader.h"
#include "server/store/block/bloom_filter.h"
#include "server/store/block/column.h"
#include "server/store/interface.h"
#include "server/store/traces/scan_pool.h"
#include "server/store/traces/search_cache.h"
#include "server/store/traces/span_columns.h"
#include "server/store/wal_coverage.h"
#include "wire/otlp/model.h"

namespace quartet::store {

// The tag tables of one scope ("span" or "resource"): name -> (value, spans
// carrying it), values most frequent first, at most kMaxTagValues per name.
using TagTable = std::map<std::string, std::vector<std::pair<std::string, int64_t>>, std::less<>>;

// What a search may use beyond the block itself: a cache of decoded
// columns shared by all blocks of a table, and threads to scan row groups
// in parallel. Either may be null.
struct TraceSearchContext {
  SearchCache* cache = nullptr;
  ScanPool* pool = nullptr;
};

class TraceBlockBuilder {
 public:
  // A row group is cut after the trace that brings it to this many spans.
  static constexpr uint32_t kRowGroupSpans = 2048;
  static constexpr size_t kMaxTagValues = 100;
  // Span attributes with more distinct (scalar) values than this in a block
  // get no postings; conditions on them scan the attribute columns.
  static constexpr size_t kMaxPostingValues = 1000;
  // The value of the `format` section of a v2 block.
  static constexpr std::string_view kFormat = "trace-block-v2";

  // Starts a block at `path` (written to <path>.tmp until Finish; dropping
  // the builder without Finish removes it). Row groups are written as they
  // fill, so memory holds the index columns, the postings and one row group.
  static Result<std::unique_ptr<TraceBlockBuilder>> Create(const std::string& path);
  ~TraceBlockBuilder();
  TraceBlockBuilder(const TraceBlockBuilder&) = delete;
  TraceBlockBuilder& operator=(const TraceBlockBuilder&) = delete;

  // Adds one whole trace; ids must be strictly increasing across calls, and
  // every span must carry summary.trace_id (InvalidArgument otherwise).
  // `summary` describes exactly the spans in `spans`.
  Status Add(const TraceSummary& summary, const otlp::ExportTraceServiceRequest& spans);

  // The spans of one trace under one (resource, scope) pair, borrowed: a
  // trace held elsewhere (the head) is added without copying it into a
  // request first.
  struct SpanGroup {
    const otlp::Resource* resource = nullptr;
    const std::string* resource_schema_url = nullptr;
    const otlp::InstrumentationScope* scope = nullptr;
    const std::string* scope_schema_url = nullptr;
    std::span<const otlp::Span* const> spans;
    // The group shares the previous group's resource (the next scope of one
    // ResourceSpans).
    bool same_resource = false;
    // >= 0: every group given this key has the same resource, scope and
    // schema urls, which stay valid until Finish; their table entries and
    // resource tags are then computed once, not per trace.
    int64_t shared_key = -1;
  };
  // As Add above, for the request the groups spell (a ResourceSpans for each
  // run of same_resource groups). Groups without spans are skipped.
  Status Add(const TraceSummary& summary, std::span<const SpanGroup> groups);

  size_t trace_count() const;
  int64_t span_count() const;

  // Writes the index sections and meta (id, level, sources and extra_json
  // are the caller's; the time range and rows — spans — are filled in) and
  // makes the block durable. Returns the meta as written.
  Result<BlockMeta> Finish(BlockMeta meta);

 private:
  struct State;
  TraceBlockBuilder();
  Status FlushRowGroup();
  uint32_t ResourceEntry(const SpanGroup& g);
  uint32_t ScopeEntry(const SpanGroup& g);
  std::unique_ptr<State> state_;
};

// A written block's index, decoded once and cached by the table.
class TraceBlockIndex {
 public:
  // Reads and validates the index sections of the block; DataLoss /
  // InvalidArgument name the block when anything is inconsistent.
  static Result<std::shared_ptr<const TraceBlockIndex>> Load(
      const BlockMeta& meta, std::shared_ptr<const BlockReader> reader);

  // Checks the CRC of every section (a full read of the file) without
  // decoding: finds damage in span pages before a query does.
  static Status VerifyAll(const BlockReader& reader);

  const BlockMeta& meta() const { return meta_; }
  const std::string& id() const { return meta_.id; }
  size_t trace_count() const { return summaries_.size(); }
  // The row of `id`, or nullopt (Bloom filter first, then binary search).
  std::optional<size_t> Find(const TraceId& id) const;
  const TraceSummary& summary(size_t row) const { return summaries_[row]; }
  // Whether the trace's part in this block holds its root span (the part
  // whose root facts win when summaries of several parts are merged).
  bool has_root(size_t row) const { return has_root_[row]; }
  // The spans of one trace, exactly as added: decodes its row group. A
  // PageCache (a row-group cache; the name is kept from v1) keeps the last
  // decoded row group for callers reading rows in order.
  struct PageCache {
    uint32_t group = UINT32_MAX;
    std::shared_ptr<const SpanRowGroup> rows;
  };
  Result<otlp::ExportTraceServiceRequest> ReadTrace(size_t row, PageCache* cache = nullptr) const;

  // Rows (ascending) of traces that have at least one span satisfying every
  // span-level condition of `filter` (service, span_name, string_attributes
  // and numeric_attributes [span OR resource attribute, compared as
  // trace_filter.h's SpanMatches does], min/max span duration,
  // span_has_error) and whose part overlaps filter.range. Whole-trace
  // (summary) conditions and filter.other_spans are NOT applied here.
  // Evaluated over the columns and the attribute postings; DataLoss when a
  // row group or postings section is damaged. With a context, decoded
  // columns are taken from and kept in its cache and row groups are scanned
  // on its pool; the answer is the same.
  Result<std::vector<uint32_t>> MatchSpanConditions(
      const TraceFilter& filter, const TraceSearchContext* context = nullptr) const;
  // The prefix of this block's keys in a SearchCache.
  std::string CachePrefix() const;
  // Decodes the search columns of every row group into `cache` ahead of
  // queries, while keep_going() and the cache has room without evicting
  // anything. DataLoss when a row group is damaged.
  Status WarmSearchCache(SearchCache* cache, const std::function<bool()>& keep_going) const;

  size_t row_group_count() const { return rg_spans_.size(); }
  // One decoded row group (what ReadTrace decodes); DataLoss when damaged.
  Result<std::shared_ptr<const SpanRowGroup>> ReadRowGroup(uint32_t group) const;

  const TagTable& span_tags() const { return span_tags_; }
  const TagTable& resource_tags() const { return resource_tags_; }
  // The WAL segment every span of this block came from a segment below
  // (extra.wal_until); 0 when absent.
  uint64_t wal_until() const { return wal_until_; }
  // Approximate memory held by this index.
  size_t memory_bytes() const { return memory_bytes_; }

 private:
  TraceBlockIndex() = default;
  struct Location {
    uint32_t group;
    uint32_t first;  // span ordinal within the row group
    uint32_t count;
  };
  // Where the postings of one indexed span attribute key are: section
  // post.<section>, and per value the byte range of its ordinal list.
  struct PostingKey {
    uint32_t section = 0;
    std::map<std::string, std::pair<uint64_t, uint64_t>, std::less<>> values;
  };
  Status LoadSpanTables(const BlockReader& r, size_t n);
  // The search family of row group g, decoded for filters (uncached).
  Result<std::shared_ptr<const CachedSearchColumns>> LoadSearchColumns(uint32_t g) const;
  // Global span ordinals (ascending) of spans whose first `key` attribute
  // spells `value`; nullopt when `key` has no postings.
  Result<std::optional<std::vector<uint32_t>>> Postings(std::string_view key,
                                                        std::string_view value) const;

  BlockMeta meta_;
  std::shared_ptr<const BlockReader> reader_;
  std::vector<TraceId> ids_;
  std::optional<BloomFilter> bloom_;
  std::vector<TraceSummary> summaries_;
  std::vector<Location> locations_;
  std::vector<bool> has_root_;
  std::vector<uint32_t> rg_spans_;        // spans per row group
  std::vector<uint32_t> rg_base_;         // global ordinal of each group's first span, + total
  std::vector<uint32_t> rg_first_trace_;  // first row of each group, + n
  std::vector<otlp::ResourceSpans> resources_;  // resource + schema_url, no scopes
  std::vector<otlp::ScopeSpans> scopes_;        // scope + schema_url, no spans
  std::map<std::string, PostingKey, std::less<>> postings_;
  TagTable span_tags_;
  TagTable resource_tags_;
  uint64_t wal_until_ = 0;
  size_t memory_bytes_ = 0;
};

}  // namespace quartet::store
