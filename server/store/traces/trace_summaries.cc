// TraceTable::SearchSummaries: the traces SearchTraces would deliver, as
// merged correlation summaries in trace id order, so that a pass
// over every request of an hour (the incident engine's) reads the heads'
// summaries and the blocks' index sections and never decodes a span row
// group. Span conditions are still answered as SearchTraces answers them
// (head spans, block search columns and postings, which the search cache
// keeps decoded); only the materialisation of each trace is skipped.
#include <algorithm>
#include <cstring>

#include "server/store/traces/trace_filter.h"
#include "server/store/traces/trace_sources.h"
#include "server/store/traces/trace_table.h"

namespace quartet::store {
namespace {

// Summaries merged per hold of the table lock: short enough not to stall
// appends, long enough that locking is not the cost.
constexpr size_t kChunk = 4096;

bool IdLess(const TraceId& a, const TraceId& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) < 0;
}

}  // namespace

Status TraceTable::SearchSummaries(const TraceFilter& filter,
                                   const std::function<bool(const TraceSummary&)>& fn) {
  // Further required spans need SearchTraces' per-trace bookkeeping; they
  // are rare in summary passes, so they take the general path.
  if (!filter.other_spans.empty()) return TraceStore::SearchSummaries(filter, fn);
  std::vector<std::pair<std::string, Status>> damaged;
  std::vector<TraceId> ids;
  BlockIndexes blocks;
  TraceSearchContext context{&search_cache_, &scan_pool_};
  CollectParts(filter, &context, &blocks, &damaged,
               [&](const TraceSummary& part) { ids.push_back(part.trace_id); });
  // Id order (the contract: a prefix is a uniform sample), each trace once;
  // neighbouring lookups touch neighbouring index entries of every block.
  std::sort(ids.begin(), ids.end(), IdLess);
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

  std::vector<TraceSummary> chunk;
  chunk.reserve(std::min(ids.size(), kChunk));
  bool more = true;
  for (size_t begin = 0; more && begin < ids.size(); begin += kChunk) {
    const size_t end = std::min(ids.size(), begin + kChunk);
    chunk.clear();
    {
      // The current sources, as SearchTraces merges: a part flushed from
      // the head to a block since the ids were collected is still found.
      std::shared_lock lock(mu_);
      for (size_t i = begin; i < end; ++i) {
        TraceSummary merged = MergedSummary(ids[i], blocks_);
        if (merged.span_count > 0 && SummaryMatches(filter, merged)) {
          chunk.push_back(std::move(merged));
        }
      }
    }
    for (const TraceSummary& s : chunk) {
      if (!(more = fn(s))) break;
    }
  }
  for (const auto& [block, st] : damaged) ReportDamaged(block, st);
  return Status::Ok();
}

}  // namespace quartet::store
