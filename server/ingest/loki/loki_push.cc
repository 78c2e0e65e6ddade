#include "server/ingest/loki/loki_push.h"

#include <algorithm>
#include <string>

#include "base/strings.h"
#include "server/ingest/trace_link.h"
#include "wire/compress/snappy.h"

namespace quartet::ingest {

using server::HttpRequest;
using server::HttpResponse;

LokiPushIngest::LokiPushIngest(store::LogStore* logs, loki::Limits limits, size_t max_body_bytes,
                               int retry_after_seconds)
    : logs_(logs),
      limits_(limits),
      max_body_bytes_(max_body_bytes),
      retry_after_seconds_(retry_after_seconds) {}

void LokiPushIngest::Register(server::Router* router) {
  auto push = [this](const HttpRequest& r) { return Push(r); };
  router->Handle("POST", "/loki/api/v1/push", push);
  router->Handle("POST", "/api/prom/push", push);
}

namespace {

template <typename Id>
void AddMetadataIfAbsent(store::Labels* metadata, std::string_view name, const Id& id) {
  if (!id.valid()) return;
  auto at = std::lower_bound(metadata->begin(), metadata->end(), name,
                             [](const auto& label, std::string_view n) { return label.first < n; });
  if (at != metadata->end() && at->first == name) return;
  metadata->insert(at, {std::string(name), id.ToHex()});
}

}  // namespace

std::vector<store::LogStream> LogStreamsFromPush(loki::PushRequest push) {
  std::vector<store::LogStream> out;
  out.reserve(push.streams.size());
  for (loki::Stream& in : push.streams) {
    store::LogStream& stream = out.emplace_back();
    stream.labels = std::move(in.labels);
    stream.entries.reserve(in.entries.size());
    for (loki::Entry& e : in.entries) {
      store::LogEntry& entry = stream.entries.emplace_back();
      entry.timestamp_ns = e.timestamp_ns;
      entry.line = std::move(e.line);
      entry.structured_metadata = std::move(e.structured_metadata);
      std::stable_sort(entry.structured_metadata.begin(), entry.structured_metadata.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      const TraceLink link = FindTraceLink(entry.line, entry.structured_metadata);
      entry.trace_id = link.trace_id;
      entry.span_id = link.span_id;
      // A link found in the line itself becomes metadata too, so every query
      // result carries it: a log line leads to its trace in one step.
      AddMetadataIfAbsent(&entry.structured_metadata, "trace_id", link.trace_id);
      AddMetadataIfAbsent(&entry.structured_metadata, "span_id", link.span_id);
    }
  }
  return out;
}

HttpResponse LokiPushIngest::Push(const HttpRequest& request) {
  std::string_view type = request.Header("content-type");
  const std::string media = AsciiLower(TrimSpace(type.substr(0, type.find(';'))));
  Result<loki::PushRequest> push = Status::InvalidArgument("");
  if (media == "application/json") {
    push = loki::DecodePushJson(request.body);
  } else if (media == "application/x-protobuf" || media == "application/protobuf" ||
             media.empty()) {
    // Loki's protobuf push is always snappy-compressed, with or without a
    // Content-Encoding header (winston-loki sends none).
    Result<std::string> raw = compress::SnappyDecompress(request.body, max_body_bytes_);
    if (!raw.ok()) {
      bad_requests_.fetch_add(1, std::memory_order_relaxed);
      const int status = raw.status().code() == StatusCode::kResourceExhausted ? 413 : 400;
      return HttpResponse::Text(status, "snappy: " + std::string(raw.status().message()) + "\n");
    }
    push = loki::DecodePushProtobuf(*raw);
  } else {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::Text(415, "unsupported Content-Type \"" + std::string(type) +
                                       "\": the Loki push API takes application/json or "
                                       "application/x-protobuf (snappy)\n");
  }
  Status valid = push.ok() ? loki::Validate(*push, limits_) : push.status();
  if (!valid.ok()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::Text(400, std::string(valid.message()) + "\n");
  }
  Result<store::AppendResult> appended = logs_->AppendLogs(LogStreamsFromPush(std::move(*push)));
  if (!appended.ok() && appended.status().code() == StatusCode::kInvalidArgument) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::Text(400, std::string(appended.status().message()) + "\n");
  }
  if (!appended.ok()) {
    pushed_back_.fetch_add(1, std::memory_order_relaxed);
    const bool busy = appended.status().code() == StatusCode::kResourceExhausted;
    HttpResponse response =
        HttpResponse::Text(busy ? 429 : 503, std::string(appended.status().message()) + "\n");
    response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds_));
    return response;
  }
  lines_accepted_.fetch_add(appended->accepted, std::memory_order_relaxed);
  return HttpResponse{.status = 204};
}

LokiIngestStats LokiPushIngest::stats() const {
  return LokiIngestStats{.lines_accepted = lines_accepted_.load(),
                         .bad_requests = bad_requests_.load(),
                         .pushed_back = pushed_back_.load()};
}

}  // namespace quartet::ingest
