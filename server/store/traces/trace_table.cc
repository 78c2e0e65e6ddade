#include "server/store/traces/trace_table.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "base/clock.h"
#include "server/store/traces/trace_filter.h"
#include "server/store/traces/trace_merge.h"
#include "server/store/traces/trace_sources.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

// WAL records of this table: one tag byte, then the payload.
constexpr char kSpansRecord = 'S';  // payload: an ExportTraceServiceRequest (OTLP protobuf)

void AddAttributeNames(const std::vector<otlp::KeyValue>& attributes, std::set<std::string>* out) {
  for (const otlp::KeyValue& kv : attributes) out->insert(kv.key);
}

void HeadTagNames(const TraceHead& head, std::string_view scope, const TimeRange& range,
                  std::set<std::string>* names) {
  std::set<uint32_t> groups;
  for (const TraceHead::StoredSpan& s : head.spans()) {
    if (!SpanInRange(s.span, range)) continue;
    if (scope != "resource") AddAttributeNames(s.span.attributes, names);
    groups.insert(s.group);
  }
  if (scope != "span") {
    for (uint32_t g : groups) AddAttributeNames(head.group(g).resource.attributes, names);
  }
}

void HeadTagValues(const TraceHead& head, std::string_view scope, std::string_view name,
                   const TimeRange& range, std::map<std::string, int64_t>* counts) {
  std::map<uint32_t, int64_t> groups;
  for (const TraceHead::StoredSpan& s : head.spans()) {
    if (!SpanInRange(s.span, range)) continue;
    if (scope != "resource") {
      if (const otlp::AnyValue* v = otlp::FindAttribute(s.span.attributes, name)) {
        if (std::string text = TagValueText(*v); !text.empty()) ++(*counts)[text];
      }
    }
    ++groups[s.group];
  }
  if (scope != "span") {
    for (const auto& [g, n] : groups) {
      if (const otlp::AnyValue* v = otlp::FindAttribute(head.group(g).resource.attributes, name)) {
        if (std::string text = TagValueText(*v); !text.empty()) (*counts)[text] += n;
      }
    }
  }
}

}  // namespace

TraceTable::TraceTable(const TableOptions& options, size_t search_cache_bytes)
    : options_(options),
      search_cache_(search_cache_bytes),
      scan_pool_(ScanPool::DefaultWorkers()) {}

TraceTable::~TraceTable() { (void)Close(); }

Result<std::unique_ptr<TraceTable>> TraceTable::Open(const TableOptions& options, bool background,
                                                     size_t search_cache_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<TraceTable> table(new TraceTable(options, search_cache_bytes));
  RETURN_IF_ERROR(table->LoadBlocks());
  ASSIGN_OR_RETURN(table->wal_,
                   Wal::Open(WalOptions{.dir = options.dir + "/wal", .sync = options.sync}));
  // Segments below a block's wal_until are in that block: a crash between
  // writing the block and removing them must not replay them twice.
  uint64_t covered = 0;
  for (const auto& block : table->blocks_) covered = std::max(covered, block->wal_until());
  if (covered > 0) RETURN_IF_ERROR(table->wal_->RemoveSegmentsBefore(covered));
  Status replayed = table->wal_->Replay(
      [&](std::string_view record, WalPosition) -> Status {
        // A record that passed its checksum but does not decode was written by
        // another version: count it and go on, the rest is still good.
        Result<otlp::ExportTraceServiceRequest> request =
            record.empty() || record[0] != kSpansRecord
                ? Result<otlp::ExportTraceServiceRequest>(Status::DataLoss("unknown record type"))
                : otlp::DecodeTraces(record.substr(1));
        if (!request.ok()) {
          ++table->undecodable_records_;
          return Status::Ok();
        }
        table->head_.Add(std::move(*request));
        ++table->replayed_records_;
        return Status::Ok();
      },
      &table->wal_report_);
  RETURN_IF_ERROR(replayed);
  if (table->head_.trace_count() > 0) table->head_started_ns_ = MonotonicNanos();
  if (background) table->background_ = std::thread([t = table.get()] { t->BackgroundLoop(); });
  return table;
}

Result<AppendResult> TraceTable::AppendSpans(otlp::ExportTraceServiceRequest request,
                                             std::string_view protobuf) {
  AppendResult result;
  int64_t total = 0;
  for (const otlp::ResourceSpans& rs : request.resource_spans) {
    for (const otlp::ScopeSpans& ss : rs.scope_spans) total += ss.spans.size();
  }
  if (total == 0) return result;
  std::shared_lock append_lock(append_mu_);
  if (wal_ == nullptr) return Status::Unavailable("trace table is closed");
  bool over_limit;
  {
    std::shared_lock lock(mu_);
    over_limit = head_.bytes() + (frozen_ ? frozen_->bytes() : 0) > options_.memory_limit_bytes;
  }
  if (over_limit) {
    refused_appends_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard l(bg_mu_);
      flush_requested_ = true;  // the flush that makes room again
    }
    bg_cv_.notify_one();
    return Status::ResourceExhausted("trace store is over its memory limit (" +
                                     std::to_string(options_.memory_limit_bytes >> 20) +
                                     " MiB) while it writes to disk; retry later");
  }
  // The received bytes are the record when there are some: replay decodes
  // them as the request was decoded, and encoding again is a fifth of the
  // append's cost.
  std::string record;
  if (protobuf.empty()) {
    record.assign(1, kSpansRecord);
    record += otlp::EncodeTraces(request);
  } else {
    record.reserve(1 + protobuf.size());
    record.push_back(kSpansRecord);
    record.append(protobuf);
  }
  RETURN_IF_ERROR(wal_->Append(record).status());
  bool flush_now;
  {
    std::unique_lock lock(mu_);
    if (head_.trace_count() == 0) head_started_ns_ = MonotonicNanos();
    result.accepted = head_.Add(std::move(request));
    flush_now = head_.bytes() > FlushThresholdBytes(options_);
  }
  if (flush_now) {
    std::lock_guard l(bg_mu_);
    if (!flush_requested_) {
      flush_requested_ = true;
      bg_cv_.notify_one();
    }
  }
  result.rejected = total - result.accepted;
  if (result.rejected > 0) result.rejection_message = "spans with an all-zero trace_id or span_id";
  return result;
}

TraceSummary TraceTable::MergedSummary(const TraceId& id, const BlockIndexes& blocks) const {
  TraceSummary merged;
  bool has_root = false;
  for (const auto& block : blocks) {
    if (std::optional<size_t> row = block->Find(id)) {
      MergeSummary(block->summary(*row), block->has_root(*row), &merged, &has_root);
    }
  }
  for (const TraceHead* head : Heads()) {
    if (head == nullptr) continue;
    if (const TraceHead::Trace* t = head->Find(id)) {
      MergeSummary(t->summary, HeadHasRoot(*head, *t), &merged, &has_root);
    }
  }
  return merged;
}

otlp::ExportTraceServiceRequest TraceTable::MergedSpans(
    const TraceId& id, const BlockIndexes& blocks,
    std::vector<std::pair<std::string, Status>>* damaged) const {
  otlp::ExportTraceServiceRequest merged;
  for (const auto& block : blocks) {
    std::optional<size_t> row = block->Find(id);
    if (!row) continue;
    Result<otlp::ExportTraceServiceRequest> part = block->ReadTrace(*row);
    if (!part.ok()) {
      damaged->emplace_back(block->id(), part.status());
      continue;
    }
    MergeSpans(std::move(*part), &merged);
  }
  for (const TraceHead* head : Heads()) {
    if (head == nullptr) continue;
    if (const TraceHead::Trace* t = head->Find(id)) MergeSpans(head->Materialize(*t), &merged);
  }
  return merged;
}

Result<TraceSummary> TraceTable::GetTraceSummary(const TraceId& id) {
  std::shared_lock lock(mu_);
  TraceSummary summary = MergedSummary(id, blocks_);
  if (summary.span_count == 0) return Status::NotFound("trace " + id.ToHex() + " not found");
  return summary;
}

Result<otlp::ExportTraceServiceRequest> TraceTable::GetTrace(const TraceId& id) {
  std::vector<std::pair<std::string, Status>> damaged;
  Result<otlp::ExportTraceServiceRequest> out = Status::NotFound("");
  {
    std::shared_lock lock(mu_);
    out = MergedSpans(id, blocks_, &damaged);
  }
  for (const auto& [block, status] : damaged) ReportDamaged(block, status);
  if (out->resource_spans.empty()) {
    if (!damaged.empty()) return damaged.front().second;
    return Status::NotFound("trace " + id.ToHex() + " not found");
  }
  return out;
}

Result<std::vector<std::string>> TraceTable::TagNames(std::string_view scope,
                                                      const TimeRange& range) {
  std::shared_lock lock(mu_);
  std::set<std::string> names;
  for (const TraceHead* head : Heads()) {
    if (head != nullptr) HeadTagNames(*head, scope, range, &names);
  }
  for (const auto& block : blocks_) {
    if (!BlockOverlaps(*block, range)) continue;
    if (scope != "resource") {
      for (const auto& [name, values] : block->span_tags()) names.insert(name);
    }
    if (scope != "span") {
      for (const auto& [name, values] : block->resource_tags()) names.insert(name);
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> TraceTable::TagValues(std::string_view scope,
                                                       std::string_view name,
                                                       const TimeRange& range, size_t limit) {
  std::shared_lock lock(mu_);
  std::map<std::string, int64_t> counts;
  for (const TraceHead* head : Heads()) {
    if (head != nullptr) HeadTagValues(*head, scope, name, range, &counts);
  }
  for (const auto& block : blocks_) {
    if (!BlockOverlaps(*block, range)) continue;
    for (const TagTable* tags : {&block->span_tags(), &block->resource_tags()}) {
      if ((tags == &block->span_tags() && scope == "resource") ||
          (tags == &block->resource_tags() && scope == "span")) {
        continue;
      }
      auto it = tags->find(name);
      if (it == tags->end()) continue;
      for (const auto& [value, n] : it->second) counts[value] += n;
    }
  }
  std::vector<std::pair<int64_t, std::string>> ranked;
  for (auto& [value, n] : counts) ranked.emplace_back(-n, value);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> out;
  for (auto& [n, value] : ranked) {
    if (out.size() >= limit) break;
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace quartet::store
