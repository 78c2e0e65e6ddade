// Trace blocks (docs/formats/traces.md): the immutable on-disk form of a set
// of traces. TraceBlockBuilder writes one from traces handed to it in trace id
// order; TraceBlockIndex is the decoded, query-ready index of a written block
// (sorted ids, Bloom filter, per-trace summaries, span-page locations and tag
// tables), from which one trace's spans are read by decompressing one page.
//
// Thread-safety: a builder is used by one thread. A TraceBlockIndex is
// immutable after Load: share it (shared_ptr<const>) between queries.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/store/block/block_meta.h"
#include "server/store/block/block_reader.h"
#include "server/store/block/bloom_filter.h"
#include "server/store/block/column.h"
#include "server/store/interface.h"
#include "server/store/wal_coverage.h"
#include "wire/otlp/model.h"

namespace quartet::store {

// The tag tables of one scope ("span" or "resource"): name -> (value, spans
// carrying it), values most frequent first, at most kMaxTagValues per name.
using TagTable = std::map<std::string, std::vector<std::pair<std::string, int64_t>>, std::less<>>;

class TraceBlockBuilder {
 public:
  // Span pages are cut once their raw bytes pass this.
  static constexpr size_t kPageBytes = 256 << 10;
  static constexpr size_t kMaxTagValues = 100;

  // Starts a block at `path` (written to <path>.tmp until Finish; dropping
  // the builder without Finish removes it). Span pages are written as they
  // fill, so memory holds the index columns and one page.
  static Result<std::unique_ptr<TraceBlockBuilder>> Create(const std::string& path);
  ~TraceBlockBuilder();
  TraceBlockBuilder(const TraceBlockBuilder&) = delete;
  TraceBlockBuilder& operator=(const TraceBlockBuilder&) = delete;

  // Adds one whole trace; ids must be strictly increasing across calls.
  // `summary` describes exactly the spans in `spans`.
  Status Add(const TraceSummary& summary, const otlp::ExportTraceServiceRequest& spans);

  size_t trace_count() const;
  int64_t span_count() const;

  // Writes the index sections and meta (id, level, sources and extra_json
  // are the caller's; the time range and rows — spans — are filled in) and
  // makes the block durable. Returns the meta as written.
  Result<BlockMeta> Finish(BlockMeta meta);

 private:
  struct State;
  TraceBlockBuilder();
  Status FlushPage();
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
  // The spans of one trace: decompresses its page and decodes its blob. A
  // PageCache keeps the last page for callers reading rows in order.
  struct PageCache {
    uint32_t page = UINT32_MAX;
    std::string bytes;
  };
  Result<otlp::ExportTraceServiceRequest> ReadTrace(size_t row, PageCache* cache = nullptr) const;

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
    uint32_t page;
    uint32_t offset;
    uint32_t length;
  };

  BlockMeta meta_;
  std::shared_ptr<const BlockReader> reader_;
  std::vector<TraceId> ids_;
  std::optional<BloomFilter> bloom_;
  std::vector<TraceSummary> summaries_;
  std::vector<Location> locations_;
  std::vector<bool> has_root_;
  TagTable span_tags_;
  TagTable resource_tags_;
  uint64_t wal_until_ = 0;
  size_t memory_bytes_ = 0;
};

}  // namespace quartet::store
