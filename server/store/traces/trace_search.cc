// TraceTable::SearchTraces: the traces that may match a filter, newest first,
// produced lazily so that a search asking for 20 traces over ten million
// spans merges and materialises about 20 traces, not all of them.
//
// Every source (head, frozen head, block) names its candidate parts: parts
// overlapping the range that hold a span meeting the span conditions (blocks
// answer from their columns and postings). Parts go into a max-heap by start.
// A trace's merged start is the minimum over all its parts, so once the next
// part in the heap starts at S, no trace not yet merged can start after S:
// every merged trace later than S is final and is delivered in order.
#include <algorithm>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "server/store/traces/trace_filter.h"
#include "server/store/traces/trace_id_hash.h"
#include "server/store/traces/trace_sources.h"
#include "server/store/traces/trace_table.h"

namespace quartet::store {
namespace {

struct Part {
  int64_t start_ns;
  TraceId id;
};

// Orders newest first: later start, then smaller id (the order callers see).
bool Newer(int64_t a_start, const TraceId& a, int64_t b_start, const TraceId& b) {
  if (a_start != b_start) return a_start > b_start;
  return std::memcmp(a.bytes.data(), b.bytes.data(), 16) < 0;
}

// Heap comparators: std heaps keep the "largest" on top, so "less" means
// "delivered later".
// A function object rather than a function pointer, so that make_heap over
// millions of parts inlines it.
struct PartAfter {
  bool operator()(const Part& a, const Part& b) const {
    return Newer(b.start_ns, b.id, a.start_ns, a.id);
  }
};
bool SummaryAfter(const TraceSummary& a, const TraceSummary& b) {
  return Newer(b.start_ns, b.trace_id, a.start_ns, a.trace_id);
}

// A part cannot belong to a matching trace when it alone already breaks a
// whole-trace bound that merging can only make worse.
bool PartMayMatch(const TraceFilter& filter, const TraceSummary& part) {
  return !filter.max_trace_duration_ns || part.duration_ns() <= *filter.max_trace_duration_ns;
}

// The part's services (its summary keeps them sorted) answer a service
// condition before its spans are visited: a head holding many services'
// traces is then not walked span by span for each query about one.
bool HeadServiceMayMatch(const TraceFilter& filter, const TraceSummary& part) {
  return !filter.service ||
         std::binary_search(part.services.begin(), part.services.end(), *filter.service);
}

bool HeadPartMatches(const TraceFilter& filter, const TraceHead& head,
                     const TraceHead::Trace& trace) {
  return std::any_of(trace.spans.begin(), trace.spans.end(), [&](uint32_t i) {
    const TraceHead::StoredSpan& s = head.spans()[i];
    return SpanMatches(filter, head.group(s.group).resource, s.span);
  });
}

}  // namespace

void TraceTable::CollectParts(const TraceFilter& filter, TraceSearchContext* context,
                              BlockIndexes* blocks,
                              std::vector<std::pair<std::string, Status>>* damaged,
                              const std::function<void(const TraceSummary&)>& part) {
  const bool span_conditions = filter.HasSpanConditions();
  {
    std::shared_lock lock(mu_);
    *blocks = blocks_;
    for (const TraceHead* head : Heads()) {
      if (head == nullptr || !HeadOverlaps(*head, filter.range)) continue;
      head->ForEachTraceIn(filter.range, [&](const TraceHead::Trace& t) {
        if (filter.range.Overlaps(t.summary.start_ns, t.summary.end_ns) &&
            PartMayMatch(filter, t.summary) &&
            (!span_conditions ||
             (HeadServiceMayMatch(filter, t.summary) && HeadPartMatches(filter, *head, t)))) {
          part(t.summary);
        }
        return true;
      });
    }
  }
  for (const auto& block : *blocks) {
    if (!BlockOverlaps(*block, filter.range)) continue;
    Result<std::vector<uint32_t>> rows = block->MatchSpanConditions(filter, context);
    if (!rows.ok()) {
      damaged->emplace_back(block->id(), rows.status());
      continue;
    }
    for (uint32_t row : *rows) {
      const TraceSummary& summary = block->summary(row);
      if (PartMayMatch(filter, summary)) part(summary);
    }
  }
}

Status TraceTable::SearchTraces(const TraceFilter& filter,
                                const std::function<bool(const TraceCandidate&)>& fn) {
  // The table lock is held for short steps only (collecting the heads'
  // parts, merging one trace), never across a block scan or the callback, so
  // a long search does not stall appends. Each step sees a consistent table;
  // a trace flushed from the head to a block between steps keeps its start.
  std::vector<std::pair<std::string, Status>> damaged;
  std::vector<Part> parts;
  BlockIndexes blocks;
  TraceSearchContext context{&search_cache_, &scan_pool_};
  CollectParts(filter, &context, &blocks, &damaged, [&](const TraceSummary& part) {
    parts.push_back({part.start_ns, part.trace_id});
  });
  // Further spans the trace must have: per other filter, which traces of
  // each block have such a span (a bit per row, answered from the columns)
  // and the ids of the heads' traces that do. Looked up only for the parts
  // popped below, so a filter matching millions of traces costs a bitmap,
  // not a set of millions of ids.
  struct Required {
    std::vector<std::vector<uint8_t>> block_rows;  // parallel to `blocks`; empty: none
    std::unordered_set<TraceId, TraceIdHash> head_ids;
  };
  std::vector<Required> required;
  for (const TraceFilter& other : filter.other_spans) {
    TraceFilter sub = other;
    sub.range = filter.range;
    sub.other_spans.clear();
    Required& req = required.emplace_back();
    req.block_rows.resize(blocks.size());
    {
      std::shared_lock lock(mu_);
      for (const TraceHead* head : Heads()) {
        if (head == nullptr || !HeadOverlaps(*head, sub.range)) continue;
        head->ForEachTraceIn(sub.range, [&](const TraceHead::Trace& t) {
          if (sub.range.Overlaps(t.summary.start_ns, t.summary.end_ns) &&
              HeadPartMatches(sub, *head, t)) {
            req.head_ids.insert(t.summary.trace_id);
          }
          return true;
        });
      }
    }
    for (size_t b = 0; b < blocks.size(); ++b) {
      const auto& block = blocks[b];
      if (!BlockOverlaps(*block, sub.range)) continue;
      Result<std::vector<uint32_t>> rows = block->MatchSpanConditions(sub, &context);
      if (!rows.ok()) {
        damaged.emplace_back(block->id(), rows.status());
        continue;
      }
      if (rows->empty()) continue;
      req.block_rows[b].assign(block->trace_count(), 0);
      for (uint32_t row : *rows) req.block_rows[b][row] = 1;
    }
  }
  auto has_required = [&](const TraceId& id) {
    for (const Required& req : required) {
      bool found = req.head_ids.count(id) != 0;
      for (size_t b = 0; !found && b < blocks.size(); ++b) {
        if (req.block_rows[b].empty()) continue;
        const std::optional<size_t> row = blocks[b]->Find(id);
        found = row && req.block_rows[b][*row] != 0;
      }
      if (!found) return false;
    }
    return true;
  };
  std::make_heap(parts.begin(), parts.end(), PartAfter());

  std::unordered_set<TraceId, TraceIdHash> merged_ids;
  std::vector<TraceSummary> ready;  // heap of merged, matching summaries
  auto deliver = [&]() {
    std::pop_heap(ready.begin(), ready.end(), SummaryAfter);
    TraceSummary summary = std::move(ready.back());
    ready.pop_back();
    otlp::ExportTraceServiceRequest spans;
    {
      std::shared_lock lock(mu_);
      spans = MergedSpans(summary.trace_id, blocks_, &damaged);
    }
    return fn(TraceCandidate{&summary, &spans});
  };
  bool more = true;
  while (more && !parts.empty()) {
    std::pop_heap(parts.begin(), parts.end(), PartAfter());
    const TraceId id = parts.back().id;
    parts.pop_back();
    if (!merged_ids.insert(id).second) continue;
    if (!has_required(id)) continue;
    TraceSummary merged;
    {
      std::shared_lock lock(mu_);
      merged = MergedSummary(id, blocks_);
    }
    if (SummaryMatches(filter, merged)) {
      ready.push_back(std::move(merged));
      std::push_heap(ready.begin(), ready.end(), SummaryAfter);
    }
    const int64_t bound = parts.empty() ? INT64_MIN : parts.front().start_ns;
    while (more && !ready.empty() && ready.front().start_ns > bound) more = deliver();
  }
  while (more && !ready.empty()) more = deliver();
  for (const auto& [block, st] : damaged) ReportDamaged(block, st);
  return Status::Ok();
}

}  // namespace quartet::store
