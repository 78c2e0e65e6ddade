#include "sdk/log/otlp_log_exporter.h"

#include <cmath>

namespace quartet {
namespace {

otlp::AnyValueView ToView(const LogAttr& a) {
  switch (a.type()) {
    case LogAttr::Type::kString:
      return otlp::AnyValueView::String(a.string_value());
    case LogAttr::Type::kInt:
      return otlp::AnyValueView::Int(a.int_value());
    case LogAttr::Type::kUint:
      return a.uint_value() <= static_cast<uint64_t>(INT64_MAX)
                 ? otlp::AnyValueView::Int(static_cast<int64_t>(a.uint_value()))
                 : otlp::AnyValueView::Double(static_cast<double>(a.uint_value()));
    case LogAttr::Type::kDouble:
      return otlp::AnyValueView::Double(a.double_value());
    case LogAttr::Type::kBool:
      return otlp::AnyValueView::Bool(a.bool_value());
    case LogAttr::Type::kDuration:  // seconds, as the JSON lines write it
      return otlp::AnyValueView::Double(static_cast<double>(a.duration_nanos()) / 1e9);
  }
  return {};
}

}  // namespace

OtlpLogExporter::OtlpLogExporter(OtlpLogExporterOptions options)
    : options_(std::move(options)),
      resource_views_(otlp::ScalarViews(options_.resource)),
      transport_(options_.transport
                     ? options_.transport(options_.retry)
                     : std::make_unique<exporter::Sender>(
                           options_.retry,
                           exporter::HttpClient::Options{.ca_file = options_.endpoint.ca_file})),
      builder_(resource_views_, "quartet", QUARTET_VERSION_STRING),
      batch_started_(std::chrono::steady_clock::now()) {
  shipper_ = std::thread([this] { ShipperLoop(); });
}

OtlpLogExporter::~OtlpLogExporter() { Shutdown(std::chrono::milliseconds(0)); }

void OtlpLogExporter::OnRecord(const LogRecordView& record) noexcept {
  std::vector<otlp::KeyValueView> attrs;
  attrs.reserve(record.bound_attributes.size() + record.attributes.size() + 1);
  for (const LogAttr& a : record.bound_attributes) attrs.push_back({a.key(), ToView(a)});
  for (const LogAttr& a : record.attributes) attrs.push_back({a.key(), ToView(a)});
  if (!record.request_id.empty())
    attrs.push_back({"request_id", otlp::AnyValueView::String(record.request_id)});

  otlp::LogRecordView view;
  view.time_unix_nano = static_cast<uint64_t>(record.time_unix_nano);
  view.observed_time_unix_nano = view.time_unix_nano;
  view.severity_number = record.severity_number;
  view.severity_text = record.severity_text;
  view.body = otlp::AnyValueView::String(record.body);
  view.attributes = attrs;
  if (record.has_span) {
    view.trace_id = record.trace_id;
    view.span_id = record.span_id;
    view.flags = record.trace_flags;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (builder_.record_count() == 0) batch_started_ = std::chrono::steady_clock::now();
  builder_.AddLogRecord(view);
  if (builder_.record_count() >= options_.max_batch_records) SealLocked();
}

void OtlpLogExporter::OnFlush() noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  SealLocked();
}

void OtlpLogExporter::SealLocked() {
  size_t records = builder_.record_count();
  if (records == 0) return;
  std::string body = builder_.Finish();
  if (queue_.size() >= options_.max_queued_batches) {
    dropped_.fetch_add(records, std::memory_order_relaxed);
    return;
  }
  queue_.push_back({std::move(body), records});
  cv_.notify_one();
}

void OtlpLogExporter::ShipperLoop() {
  exporter::ExportRequest request = exporter::OtlpProtobufRequest(options_.endpoint);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait_for(lock, options_.schedule_delay, [&] { return stopping_ || !queue_.empty(); });
    // Records waiting longer than the schedule delay go out as they are.
    if (queue_.empty() && builder_.record_count() > 0 &&
        std::chrono::steady_clock::now() - batch_started_ >= options_.schedule_delay) {
      SealLocked();
    }
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    request.body = std::move(batch.body);
    exporter::SendOutcome outcome =
        transport_->Send(request, std::chrono::steady_clock::now() + options_.endpoint.timeout);
    if (outcome.result == exporter::ExportResult::kSuccess) {
      exported_.fetch_add(batch.records, std::memory_order_relaxed);
    } else {
      dropped_.fetch_add(batch.records, std::memory_order_relaxed);
    }
    lock.lock();
    sending_ = false;
    cv_.notify_all();
  }
}

bool OtlpLogExporter::Shutdown(std::chrono::milliseconds timeout) noexcept {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!shipper_.joinable()) return true;
    SealLocked();
    cv_.notify_all();
    cv_.wait_until(lock, deadline, [&] { return queue_.empty() && !sending_; });
    for (const Batch& b : queue_) dropped_.fetch_add(b.records, std::memory_order_relaxed);
    bool drained = queue_.empty() && !sending_;
    queue_.clear();
    stopping_ = true;
    cv_.notify_all();
    lock.unlock();
    transport_->Cancel();  // a send in flight or backing off returns now
    shipper_.join();
    return drained;
  }
}

}  // namespace quartet
