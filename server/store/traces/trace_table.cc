#include "server/store/traces/trace_table.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "server/store/traces/trace_filter.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

// WAL records of this table: one tag byte, then the payload.
constexpr char kSpansRecord = 'S';  // payload: an ExportTraceServiceRequest (OTLP protobuf)

void AddAttributeNames(const std::vector<otlp::KeyValue>& attributes, std::set<std::string>* out) {
  for (const otlp::KeyValue& kv : attributes) out->insert(kv.key);
}

// The text form of an attribute value for tag-value listings; "" for
// values that are not scalars.
std::string ScalarText(const otlp::AnyValue& value) {
  switch (value.type) {
    case otlp::AnyValue::Type::kString:
      return value.string_value;
    case otlp::AnyValue::Type::kInt:
      return std::to_string(value.int_value);
    case otlp::AnyValue::Type::kBool:
      return value.bool_value ? "true" : "false";
    case otlp::AnyValue::Type::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", value.double_value);
      return buf;
    }
    default:
      return "";
  }
}

bool SpanInRange(const otlp::Span& span, const TimeRange& range) {
  return range.Overlaps(static_cast<int64_t>(span.start_time_unix_nano),
                        static_cast<int64_t>(span.end_time_unix_nano));
}

}  // namespace

TraceTable::TraceTable(const TableOptions& options) : options_(options) {}

TraceTable::~TraceTable() { (void)Close(); }

Result<std::unique_ptr<TraceTable>> TraceTable::Open(const TableOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<TraceTable> table(new TraceTable(options));
  ASSIGN_OR_RETURN(table->wal_,
                   Wal::Open(WalOptions{.dir = options.dir + "/wal", .sync = options.sync}));
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
        table->head_.Add(*request);
        ++table->replayed_records_;
        return Status::Ok();
      },
      &table->wal_report_);
  RETURN_IF_ERROR(replayed);
  return table;
}

Status TraceTable::Close() {
  std::unique_lock lock(mu_);
  if (wal_ == nullptr) return Status::Ok();
  Status status = wal_->Close();
  wal_.reset();
  return status;
}

Result<AppendResult> TraceTable::AppendSpans(const otlp::ExportTraceServiceRequest& request) {
  AppendResult result;
  int64_t total = 0;
  for (const otlp::ResourceSpans& rs : request.resource_spans) {
    for (const otlp::ScopeSpans& ss : rs.scope_spans) total += ss.spans.size();
  }
  if (total == 0) return result;
  {
    std::shared_lock lock(mu_);
    if (wal_ == nullptr) return Status::Unavailable("trace table is closed");
    if (head_.bytes() > options_.memory_limit_bytes) {
      refused_appends_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted("trace store is over its memory limit (" +
                                       std::to_string(options_.memory_limit_bytes >> 20) +
                                       " MiB) while it writes to disk; retry later");
    }
  }
  std::string record(1, kSpansRecord);
  record += otlp::EncodeTraces(request);
  RETURN_IF_ERROR(wal_->Append(record).status());
  std::unique_lock lock(mu_);
  result.accepted = head_.Add(request);
  result.rejected = total - result.accepted;
  if (result.rejected > 0) result.rejection_message = "spans with an all-zero trace_id or span_id";
  return result;
}

Result<TraceSummary> TraceTable::GetTraceSummary(const TraceId& id) {
  std::shared_lock lock(mu_);
  const TraceHead::Trace* trace = head_.Find(id);
  if (trace == nullptr) return Status::NotFound("trace " + id.ToHex() + " not found");
  return trace->summary;
}

Result<otlp::ExportTraceServiceRequest> TraceTable::GetTrace(const TraceId& id) {
  std::shared_lock lock(mu_);
  const TraceHead::Trace* trace = head_.Find(id);
  if (trace == nullptr) return Status::NotFound("trace " + id.ToHex() + " not found");
  return head_.Materialize(*trace);
}

Status TraceTable::SearchTraces(const TraceFilter& filter,
                                const std::function<bool(const TraceCandidate&)>& fn) {
  std::shared_lock lock(mu_);
  const bool span_conditions = HasSpanConditions(filter);
  std::vector<const TraceHead::Trace*> matches;
  head_.ForEachTrace([&](const TraceHead::Trace& trace) {
    if (!SummaryMatches(filter, trace.summary)) return true;
    if (span_conditions) {
      const bool any = std::any_of(trace.spans.begin(), trace.spans.end(), [&](uint32_t i) {
        const TraceHead::StoredSpan& s = head_.spans()[i];
        return SpanMatches(filter, head_.group(s.group).resource, s.span);
      });
      if (!any) return true;
    }
    matches.push_back(&trace);
    return true;
  });
  std::sort(matches.begin(), matches.end(),
            [](const auto* a, const auto* b) { return a->summary.start_ns > b->summary.start_ns; });
  for (const TraceHead::Trace* trace : matches) {
    otlp::ExportTraceServiceRequest spans = head_.Materialize(*trace);
    if (!fn(TraceCandidate{&trace->summary, &spans})) break;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> TraceTable::TagNames(std::string_view scope,
                                                      const TimeRange& range) {
  std::shared_lock lock(mu_);
  std::set<std::string> names;
  std::set<uint32_t> groups;
  for (const TraceHead::StoredSpan& s : head_.spans()) {
    if (!SpanInRange(s.span, range)) continue;
    if (scope != "resource") AddAttributeNames(s.span.attributes, &names);
    groups.insert(s.group);
  }
  if (scope != "span") {
    for (uint32_t g : groups) AddAttributeNames(head_.group(g).resource.attributes, &names);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> TraceTable::TagValues(std::string_view scope,
                                                       std::string_view name,
                                                       const TimeRange& range, size_t limit) {
  std::shared_lock lock(mu_);
  std::map<std::string, int64_t> counts;
  std::map<uint32_t, int64_t> groups;
  for (const TraceHead::StoredSpan& s : head_.spans()) {
    if (!SpanInRange(s.span, range)) continue;
    if (scope != "resource") {
      if (const otlp::AnyValue* v = otlp::FindAttribute(s.span.attributes, name)) {
        if (std::string text = ScalarText(*v); !text.empty()) ++counts[text];
      }
    }
    ++groups[s.group];
  }
  if (scope != "span") {
    for (const auto& [g, n] : groups) {
      if (const otlp::AnyValue* v = otlp::FindAttribute(head_.group(g).resource.attributes, name)) {
        if (std::string text = ScalarText(*v); !text.empty()) counts[text] += n;
      }
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

TraceTableStats TraceTable::stats() const {
  std::shared_lock lock(mu_);
  return TraceTableStats{.spans = static_cast<int64_t>(head_.spans().size()),
                         .traces = static_cast<int64_t>(head_.trace_count()),
                         .head_bytes = head_.bytes(),
                         .replayed_records = replayed_records_,
                         .undecodable_records = undecodable_records_,
                         .refused_appends = refused_appends_.load(std::memory_order_relaxed)};
}

}  // namespace quartet::store
