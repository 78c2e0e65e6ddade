#include "server/ingest/otlp/otlp_ingest.h"

#include <string>

#include "base/clock.h"
#include "base/strings.h"
#include "server/ingest/otlp/log_mapping.h"
#include "wire/json/json_writer.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/decode_json.h"
#include "wire/otlp/response.h"

namespace quartet::ingest {
namespace {

using server::HttpRequest;
using server::HttpResponse;

enum class Format { kProtobuf, kJson, kUnsupported };

Format FormatOf(const HttpRequest& request) {
  std::string_view type = request.Header("content-type");
  type = TrimSpace(type.substr(0, type.find(';')));
  const std::string lower = AsciiLower(type);
  if (lower == "application/x-protobuf" || lower == "application/protobuf") {
    return Format::kProtobuf;
  }
  if (lower == "application/json") return Format::kJson;
  return Format::kUnsupported;
}

// gRPC codes carried in google.rpc.Status.
constexpr int32_t kInvalidArgument = 3;
constexpr int32_t kResourceExhausted = 8;
constexpr int32_t kUnavailable = 14;

HttpResponse ErrorResponse(Format format, int http_status, int32_t rpc_code,
                           std::string_view message) {
  if (format == Format::kProtobuf) {
    return HttpResponse::Bytes(
        http_status, "application/x-protobuf",
        otlp::EncodeRpcStatus(otlp::RpcStatus{.code = rpc_code, .message = std::string(message)}));
  }
  std::string body = "{\"code\":";
  json::AppendInt(&body, rpc_code);
  body += ",\"message\":";
  json::AppendString(&body, message);
  body += '}';
  return HttpResponse::Json(http_status, std::move(body));
}

HttpResponse SuccessResponse(Format format, std::string_view rejected_field,
                             const store::AppendResult& result) {
  otlp::ExportResponse response;
  if (result.rejected > 0) {
    response.partial_success =
        otlp::ExportPartialSuccess{result.rejected, result.rejection_message};
  }
  if (format == Format::kProtobuf) {
    return HttpResponse::Bytes(200, "application/x-protobuf", otlp::EncodeExportResponse(response));
  }
  std::string body = "{}";
  if (response.partial_success) {
    body = "{\"partialSuccess\":{\"";
    body += rejected_field;
    body += "\":\"" + std::to_string(result.rejected) + "\",\"errorMessage\":";
    json::AppendString(&body, result.rejection_message);
    body += "}}";
  }
  return HttpResponse::Json(200, std::move(body));
}

std::string Path(std::string_view prefix, size_t i) {
  return std::string(prefix) + "[" + std::to_string(i) + "]";
}

Status CheckValue(const otlp::AnyValue& value, const std::string& path, size_t max_bytes) {
  if ((value.type == otlp::AnyValue::Type::kString || value.type == otlp::AnyValue::Type::kBytes) &&
      value.string_value.size() > max_bytes) {
    return Status::InvalidArgument(path + ": value is " +
                                   std::to_string(value.string_value.size()) + " bytes, over the " +
                                   std::to_string(max_bytes) + "-byte limit");
  }
  for (size_t i = 0; i < value.array_value.size(); ++i) {
    RETURN_IF_ERROR(CheckValue(value.array_value[i], Path(path, i), max_bytes));
  }
  for (const otlp::KeyValue& kv : value.kvlist_value) {
    RETURN_IF_ERROR(CheckValue(kv.value, path + "[\"" + kv.key + "\"]", max_bytes));
  }
  return Status::Ok();
}

Status CheckAttributes(const std::vector<otlp::KeyValue>& attributes, const std::string& path,
                       size_t max_bytes) {
  for (const otlp::KeyValue& kv : attributes) {
    if (kv.key.size() > max_bytes) {
      return Status::InvalidArgument(path + ".attributes: a key is " +
                                     std::to_string(kv.key.size()) + " bytes, over the " +
                                     std::to_string(max_bytes) + "-byte limit");
    }
    RETURN_IF_ERROR(CheckValue(kv.value, path + ".attributes[\"" + kv.key + "\"]", max_bytes));
  }
  return Status::Ok();
}

}  // namespace

Status CheckValueSizes(const otlp::ExportTraceServiceRequest& request, size_t max_bytes) {
  for (size_t r = 0; r < request.resource_spans.size(); ++r) {
    const otlp::ResourceSpans& rs = request.resource_spans[r];
    const std::string rpath = Path("resource_spans", r);
    RETURN_IF_ERROR(CheckAttributes(rs.resource.attributes, rpath + ".resource", max_bytes));
    for (size_t s = 0; s < rs.scope_spans.size(); ++s) {
      const otlp::ScopeSpans& ss = rs.scope_spans[s];
      const std::string spath = rpath + Path(".scope_spans", s);
      RETURN_IF_ERROR(CheckAttributes(ss.scope.attributes, spath + ".scope", max_bytes));
      for (size_t i = 0; i < ss.spans.size(); ++i) {
        const otlp::Span& span = ss.spans[i];
        const std::string path = spath + Path(".spans", i);
        if (span.name.size() > max_bytes) {
          return Status::InvalidArgument(path + ".name: " + std::to_string(span.name.size()) +
                                         " bytes, over the " + std::to_string(max_bytes) +
                                         "-byte limit");
        }
        RETURN_IF_ERROR(CheckAttributes(span.attributes, path, max_bytes));
        for (size_t e = 0; e < span.events.size(); ++e) {
          RETURN_IF_ERROR(
              CheckAttributes(span.events[e].attributes, path + Path(".events", e), max_bytes));
        }
        for (size_t l = 0; l < span.links.size(); ++l) {
          RETURN_IF_ERROR(
              CheckAttributes(span.links[l].attributes, path + Path(".links", l), max_bytes));
        }
      }
    }
  }
  return Status::Ok();
}

Status CheckValueSizes(const otlp::ExportMetricsServiceRequest& request, size_t max_bytes) {
  auto check_exemplars = [max_bytes](const std::vector<otlp::Exemplar>& exemplars,
                                     const std::string& path) -> Status {
    for (size_t e = 0; e < exemplars.size(); ++e) {
      RETURN_IF_ERROR(CheckAttributes(exemplars[e].filtered_attributes,
                                      path + Path(".exemplars", e), max_bytes));
    }
    return Status::Ok();
  };
  for (size_t r = 0; r < request.resource_metrics.size(); ++r) {
    const otlp::ResourceMetrics& rm = request.resource_metrics[r];
    const std::string rpath = Path("resource_metrics", r);
    RETURN_IF_ERROR(CheckAttributes(rm.resource.attributes, rpath + ".resource", max_bytes));
    for (size_t s = 0; s < rm.scope_metrics.size(); ++s) {
      const otlp::ScopeMetrics& sm = rm.scope_metrics[s];
      const std::string spath = rpath + Path(".scope_metrics", s);
      RETURN_IF_ERROR(CheckAttributes(sm.scope.attributes, spath + ".scope", max_bytes));
      for (size_t m = 0; m < sm.metrics.size(); ++m) {
        const otlp::Metric& metric = sm.metrics[m];
        const std::string mpath = spath + Path(".metrics", m);
        if (metric.name.size() > max_bytes) {
          return Status::InvalidArgument(mpath + ".name: " + std::to_string(metric.name.size()) +
                                         " bytes, over the " + std::to_string(max_bytes) +
                                         "-byte limit");
        }
        for (size_t i = 0; i < metric.number_points.size(); ++i) {
          const std::string path = mpath + Path(".data_points", i);
          RETURN_IF_ERROR(CheckAttributes(metric.number_points[i].attributes, path, max_bytes));
          RETURN_IF_ERROR(check_exemplars(metric.number_points[i].exemplars, path));
        }
        for (size_t i = 0; i < metric.histogram_points.size(); ++i) {
          const std::string path = mpath + Path(".data_points", i);
          RETURN_IF_ERROR(CheckAttributes(metric.histogram_points[i].attributes, path, max_bytes));
          RETURN_IF_ERROR(check_exemplars(metric.histogram_points[i].exemplars, path));
        }
        for (size_t i = 0; i < metric.exponential_histogram_points.size(); ++i) {
          const std::string path = mpath + Path(".data_points", i);
          RETURN_IF_ERROR(
              CheckAttributes(metric.exponential_histogram_points[i].attributes, path, max_bytes));
          RETURN_IF_ERROR(check_exemplars(metric.exponential_histogram_points[i].exemplars, path));
        }
        for (size_t i = 0; i < metric.summary_points.size(); ++i) {
          RETURN_IF_ERROR(CheckAttributes(metric.summary_points[i].attributes,
                                          mpath + Path(".data_points", i), max_bytes));
        }
      }
    }
  }
  return Status::Ok();
}

Status CheckValueSizes(const otlp::ExportLogsServiceRequest& request, size_t max_bytes) {
  for (size_t r = 0; r < request.resource_logs.size(); ++r) {
    const otlp::ResourceLogs& rl = request.resource_logs[r];
    const std::string rpath = Path("resource_logs", r);
    RETURN_IF_ERROR(CheckAttributes(rl.resource.attributes, rpath + ".resource", max_bytes));
    for (size_t s = 0; s < rl.scope_logs.size(); ++s) {
      const otlp::ScopeLogs& sl = rl.scope_logs[s];
      const std::string spath = rpath + Path(".scope_logs", s);
      for (size_t i = 0; i < sl.log_records.size(); ++i) {
        const otlp::LogRecord& record = sl.log_records[i];
        const std::string path = spath + Path(".log_records", i);
        RETURN_IF_ERROR(CheckValue(record.body, path + ".body", max_bytes));
        RETURN_IF_ERROR(CheckAttributes(record.attributes, path, max_bytes));
      }
    }
  }
  return Status::Ok();
}

OtlpIngest::OtlpIngest(store::TraceStore* traces, store::LogStore* logs, OtlpLimits limits)
    : OtlpIngest(traces, logs, nullptr, limits) {}

OtlpIngest::OtlpIngest(store::TraceStore* traces, store::LogStore* logs,
                       store::MetricStore* metrics, OtlpLimits limits)
    : traces_(traces), logs_(logs), metrics_(metrics), limits_(limits), deltas_(limits.deltas) {}

void OtlpIngest::Register(server::Router* router) {
  router->Handle("POST", "/v1/traces", [this](const HttpRequest& r) { return Traces(r); });
  router->Handle("POST", "/v1/logs", [this](const HttpRequest& r) { return Logs(r); });
  if (metrics_ != nullptr) {
    router->Handle("POST", "/v1/metrics", [this](const HttpRequest& r) { return Metrics(r); });
  }
}

namespace {

// Decodes and checks one request body of either signal.
template <typename Request>
Result<Request> DecodeChecked(OtlpFormat format, std::string_view body, size_t max_value_bytes,
                              Result<Request> (*protobuf)(std::string_view),
                              Result<Request> (*json)(std::string_view)) {
  Result<Request> decoded = format == OtlpFormat::kProtobuf ? protobuf(body) : json(body);
  if (decoded.ok()) RETURN_IF_ERROR(CheckValueSizes(*decoded, max_value_bytes));
  return decoded;
}

ExportOutcome BadInput(const Status& status) {
  return ExportOutcome{.kind = status.code() == StatusCode::kResourceExhausted
                                   ? ExportOutcome::Kind::kTooLarge
                                   : ExportOutcome::Kind::kBadData,
                       .message = std::string(status.message())};
}

// The store refused an append: bad input (a limit no retry can meet), push
// back (retryable) or fail (a disk error).
ExportOutcome StoreRefused(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument) {
    return ExportOutcome{.kind = ExportOutcome::Kind::kBadData,
                         .message = std::string(status.message())};
  }
  if (status.code() == StatusCode::kResourceExhausted) {
    return ExportOutcome{.kind = ExportOutcome::Kind::kBusy,
                         .message = std::string(status.message())};
  }
  return ExportOutcome{.kind = ExportOutcome::Kind::kUnavailable,
                       .message = "storage error: " + std::string(status.message())};
}

}  // namespace

ExportOutcome OtlpIngest::ExportMetrics(OtlpFormat format, std::string_view body) {
  if (metrics_ == nullptr) {
    pushed_back_.fetch_add(1, std::memory_order_relaxed);
    return ExportOutcome{.kind = ExportOutcome::Kind::kUnavailable,
                         .message = "this server does not store metrics"};
  }
  Result<otlp::ExportMetricsServiceRequest> request = DecodeChecked(
      format, body, limits_.max_value_bytes, &otlp::DecodeMetrics, &otlp::DecodeMetricsJson);
  Result<MappedMetrics> mapped =
      request.ok() ? MapOtlpMetrics(*request, &deltas_, MonotonicNanos(), limits_.metric_mapping)
                   : Result<MappedMetrics>(request.status());
  if (!mapped.ok()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return BadInput(mapped.status());
  }
  Result<store::MetricAppendResult> appended = metrics_->Append(mapped->batch);
  if (!appended.ok()) {
    pushed_back_.fetch_add(1, std::memory_order_relaxed);
    return StoreRefused(appended.status());
  }
  // Partial success counts refused data points plus the samples the store
  // refused (a histogram point is many samples; the store counts samples).
  ExportOutcome outcome{.kind = ExportOutcome::Kind::kOk};
  const int64_t store_rejected = appended->rejected_samples();
  outcome.result.rejected = mapped->rejected_points + store_rejected;
  outcome.result.accepted = mapped->data_points;
  outcome.result.rejection_message = mapped->rejection_message;
  if (outcome.result.rejection_message.empty() && !appended->error.ok()) {
    outcome.result.rejection_message = std::string(appended->error.message());
  } else if (outcome.result.rejection_message.empty() && store_rejected > 0) {
    outcome.result.rejection_message = "samples refused by the store (out of order or limits)";
  }
  points_accepted_.fetch_add(mapped->data_points, std::memory_order_relaxed);
  points_rejected_.fetch_add(mapped->rejected_points, std::memory_order_relaxed);
  samples_rejected_.fetch_add(store_rejected, std::memory_order_relaxed);
  return outcome;
}

ExportOutcome OtlpIngest::Export(OtlpSignal signal, OtlpFormat format, std::string_view body) {
  if (signal == OtlpSignal::kMetrics) return ExportMetrics(format, body);
  Result<store::AppendResult> appended = store::AppendResult{};
  if (signal == OtlpSignal::kTraces) {
    Result<otlp::ExportTraceServiceRequest> request = DecodeChecked(
        format, body, limits_.max_value_bytes, &otlp::DecodeTraces, &otlp::DecodeTracesJson);
    if (!request.ok()) {
      bad_requests_.fetch_add(1, std::memory_order_relaxed);
      return BadInput(request.status());
    }
    // The store takes the spans, so the observer reads them first and
    // counts them only once they are stored. Protobuf bodies go along as
    // the store's log record: the request is exactly what they decode to.
    std::unique_ptr<SpanObserver::Pending> observed;
    if (span_observer_ != nullptr) observed = span_observer_->Observe(*request);
    appended = traces_->AppendSpans(std::move(*request),
                                    format == OtlpFormat::kProtobuf ? body : std::string_view());
    if (appended.ok() && span_observer_ != nullptr) span_observer_->Commit(std::move(observed));
  } else {
    Result<otlp::ExportLogsServiceRequest> request = DecodeChecked(
        format, body, limits_.max_value_bytes, &otlp::DecodeLogs, &otlp::DecodeLogsJson);
    if (!request.ok()) {
      bad_requests_.fetch_add(1, std::memory_order_relaxed);
      return BadInput(request.status());
    }
    appended = logs_->AppendLogs(LogStreamsFromOtlp(*request, UnixNanos()));
  }
  if (!appended.ok()) {
    pushed_back_.fetch_add(1, std::memory_order_relaxed);
    return StoreRefused(appended.status());
  }
  if (signal == OtlpSignal::kTraces) {
    spans_accepted_.fetch_add(appended->accepted, std::memory_order_relaxed);
    spans_rejected_.fetch_add(appended->rejected, std::memory_order_relaxed);
  } else {
    logs_accepted_.fetch_add(appended->accepted, std::memory_order_relaxed);
  }
  return ExportOutcome{.kind = ExportOutcome::Kind::kOk, .result = *appended};
}

namespace {

// The OTLP/HTTP answer to an export outcome, in the request's format.
HttpResponse ToHttp(Format format, OtlpSignal signal, const ExportOutcome& outcome,
                    int retry_after) {
  using Kind = ExportOutcome::Kind;
  HttpResponse response;
  switch (outcome.kind) {
    case Kind::kOk:
      return SuccessResponse(format,
                             signal == OtlpSignal::kTraces ? "rejectedSpans"
                             : signal == OtlpSignal::kLogs ? "rejectedLogRecords"
                                                           : "rejectedDataPoints",
                             outcome.result);
    case Kind::kBadData:
      return ErrorResponse(format, 400, kInvalidArgument, outcome.message);
    case Kind::kTooLarge:
      return ErrorResponse(format, 413, kInvalidArgument, outcome.message);
    case Kind::kBusy:
      response = ErrorResponse(format, 429, kResourceExhausted, outcome.message);
      break;
    case Kind::kUnavailable:
      response = ErrorResponse(format, 503, kUnavailable, outcome.message);
      break;
  }
  response.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return response;
}

}  // namespace

HttpResponse OtlpIngest::Handle(OtlpSignal signal, const HttpRequest& request) {
  const Format format = FormatOf(request);
  if (format == Format::kUnsupported) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::Text(415, "unsupported Content-Type \"" +
                                       std::string(request.Header("content-type")) +
                                       "\": OTLP/HTTP takes application/x-protobuf or "
                                       "application/json\n");
  }
  const OtlpFormat otlp_format =
      format == Format::kProtobuf ? OtlpFormat::kProtobuf : OtlpFormat::kJson;
  return ToHttp(format, signal, Export(signal, otlp_format, request.body),
                limits_.retry_after_seconds);
}

HttpResponse OtlpIngest::Traces(const HttpRequest& request) {
  return Handle(OtlpSignal::kTraces, request);
}

HttpResponse OtlpIngest::Logs(const HttpRequest& request) {
  return Handle(OtlpSignal::kLogs, request);
}

HttpResponse OtlpIngest::Metrics(const HttpRequest& request) {
  return Handle(OtlpSignal::kMetrics, request);
}

OtlpIngestStats OtlpIngest::stats() const {
  return OtlpIngestStats{.spans_accepted = spans_accepted_.load(),
                         .spans_rejected = spans_rejected_.load(),
                         .logs_accepted = logs_accepted_.load(),
                         .metric_points_accepted = points_accepted_.load(),
                         .metric_points_rejected = points_rejected_.load(),
                         .metric_samples_rejected = samples_rejected_.load(),
                         .bad_requests = bad_requests_.load(),
                         .pushed_back = pushed_back_.load()};
}

}  // namespace quartet::ingest
