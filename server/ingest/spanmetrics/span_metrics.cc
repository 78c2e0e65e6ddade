#include "server/ingest/spanmetrics/span_metrics.h"

#include <algorithm>
#include <charconv>

#include "base/clock.h"

namespace quartet::ingest {

constexpr std::string_view kCallsName = "traces_spanmetrics_calls_total";
constexpr std::string_view kLatencyName = "traces_spanmetrics_latency";

// One span's contribution, computed outside the lock. It owns its text (the
// store takes the spans before Commit): the label values are slices of key.
struct SpanMetrics::Observation {
  // The label values, '\0'-separated, with a presence mark before the route:
  // service, span name, kind, status, route, HTTP status.
  std::string key;
  uint32_t service_size = 0;
  uint32_t name_size = 0;
  uint32_t route_size = 0;
  bool has_route = false;
  std::string_view kind;    // static text
  std::string_view status;  // static text
  double seconds = 0;
  int64_t end_ms = 0;
  TraceId trace_id;
  SpanId span_id;

  std::string_view service() const { return std::string_view(key).substr(0, service_size); }
  std::string_view span_name() const {
    return std::string_view(key).substr(service_size + 1, name_size);
  }
  size_t route_at() const {
    return service_size + 1 + name_size + 1 + kind.size() + 1 + status.size() + 1 + 1;
  }
  std::string_view route() const { return std::string_view(key).substr(route_at(), route_size); }
  std::string_view http_status() const {
    return std::string_view(key).substr(route_at() + route_size + 1);
  }
};

struct SpanMetrics::Observed final : SpanObserver::Pending {
  int64_t now_ms = 0;
  int64_t late = 0;
  std::vector<Observation> spans;
};

namespace {

std::string_view KindName(otlp::SpanKind kind) {
  switch (kind) {
    case otlp::SpanKind::kInternal:
      return "SPAN_KIND_INTERNAL";
    case otlp::SpanKind::kServer:
      return "SPAN_KIND_SERVER";
    case otlp::SpanKind::kClient:
      return "SPAN_KIND_CLIENT";
    case otlp::SpanKind::kProducer:
      return "SPAN_KIND_PRODUCER";
    case otlp::SpanKind::kConsumer:
      return "SPAN_KIND_CONSUMER";
    default:
      return "SPAN_KIND_UNSPECIFIED";
  }
}

std::string_view StatusName(otlp::SpanStatusCode code) {
  switch (code) {
    case otlp::SpanStatusCode::kOk:
      return "STATUS_CODE_OK";
    case otlp::SpanStatusCode::kError:
      return "STATUS_CODE_ERROR";
    default:
      return "STATUS_CODE_UNSET";
  }
}

const std::string* StringAttribute(const std::vector<otlp::KeyValue>& attrs, std::string_view key) {
  const otlp::AnyValue* v = otlp::FindAttribute(attrs, key);
  if (v == nullptr || v->type != otlp::AnyValue::Type::kString || v->string_value.empty()) {
    return nullptr;
  }
  return &v->string_value;
}

// The HTTP status code as text: an int attribute (the semantic conventions)
// or a string one (some instrumentations).
std::string HttpStatus(const std::vector<otlp::KeyValue>& attrs) {
  for (std::string_view key : {"http.response.status_code", "http.status_code"}) {
    const otlp::AnyValue* v = otlp::FindAttribute(attrs, key);
    if (v == nullptr) continue;
    if (v->type == otlp::AnyValue::Type::kInt) return std::to_string(v->int_value);
    if (v->type == otlp::AnyValue::Type::kString && !v->string_value.empty()) {
      return v->string_value;
    }
  }
  return "";
}

// Prometheus's spelling of a bucket bound: shortest round-trip decimal.
std::string FormatLe(double bound) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, bound);
  return std::string(buf, end);
}

store::Labels WithName(const store::Labels& base, std::string_view name, std::string_view le = {}) {
  store::Labels labels;
  labels.reserve(base.size() + 2);
  labels.emplace_back("__name__", std::string(name));
  labels.insert(labels.end(), base.begin(), base.end());
  if (!le.empty()) labels.emplace_back("le", std::string(le));
  std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace

SpanMetrics::SpanMetrics(store::MetricStore* metrics, SpanMetricsOptions options)
    : metrics_(metrics), options_(std::move(options)) {}

SpanMetrics::~SpanMetrics() { Stop(); }

int64_t SpanMetrics::NowMs() const {
  return options_.now_ms ? options_.now_ms() : UnixNanos() / 1'000'000;
}

std::unique_ptr<SpanObserver::Pending> SpanMetrics::Observe(
    const otlp::ExportTraceServiceRequest& request) noexcept {
  const int64_t now = NowMs();
  const int64_t slack = options_.ingestion_slack.count();
  try {
    auto observed = std::make_unique<Observed>();
    observed->now_ms = now;
    for (const otlp::ResourceSpans& rs : request.resource_spans) {
      const std::string* service = StringAttribute(rs.resource.attributes, "service.name");
      const std::string_view service_name = service ? std::string_view(*service) : "";
      for (const otlp::ScopeSpans& ss : rs.scope_spans) {
        for (const otlp::Span& span : ss.spans) {
          const int64_t end_ms = static_cast<int64_t>(span.end_time_unix_nano / 1'000'000);
          if (end_ms < now - slack || end_ms > now + slack) {
            ++observed->late;
            continue;
          }
          Observation& o = observed->spans.emplace_back();
          o.kind = KindName(span.kind);
          o.status = StatusName(span.status.code);
          const std::string* route = StringAttribute(span.attributes, "http.route");
          const std::string http_status = HttpStatus(span.attributes);
          o.service_size = static_cast<uint32_t>(service_name.size());
          o.name_size = static_cast<uint32_t>(span.name.size());
          o.has_route = route != nullptr;
          o.route_size = route ? static_cast<uint32_t>(route->size()) : 0;
          o.seconds =
              span.end_time_unix_nano > span.start_time_unix_nano
                  ? static_cast<double>(span.end_time_unix_nano - span.start_time_unix_nano) / 1e9
                  : 0.0;
          o.end_ms = end_ms;
          o.trace_id = span.trace_id;
          o.span_id = span.span_id;
          // Presence marks keep "no route" apart from an empty one.
          o.key.reserve(service_name.size() + span.name.size() + o.route_size + http_status.size() +
                        64);
          for (std::string_view part :
               {service_name, std::string_view(span.name), o.kind, o.status}) {
            o.key.append(part);
            o.key.push_back('\0');
          }
          o.key.push_back(route ? 'r' : '-');
          if (route) o.key.append(*route);
          o.key.push_back('\0');
          o.key.append(http_status);
        }
      }
    }
    return observed;
  } catch (...) {
    // Out of memory while building keys: these spans are stored, only not
    // counted; the ingest must not fail for it.
    return nullptr;
  }
}

void SpanMetrics::Commit(std::unique_ptr<Pending> pending) noexcept {
  auto* observed = static_cast<Observed*>(pending.get());
  if (observed == nullptr) return;
  late_spans_.fetch_add(observed->late, std::memory_order_relaxed);
  try {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Observation& o : observed->spans) Record(o, observed->now_ms);
  } catch (...) {
    // As in Observe: a series that cannot be allocated is not counted.
  }
}

void SpanMetrics::Record(const Observation& o, int64_t now_ms) {
  auto it = series_.find(o.key);
  if (it == series_.end()) {
    if (series_.size() >= options_.max_series) {
      ++limit_dropped_unreported_;
      series_limit_spans_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    Series s;
    if (!o.service().empty()) s.labels.emplace_back("service", std::string(o.service()));
    if (!o.span_name().empty()) s.labels.emplace_back("span_name", std::string(o.span_name()));
    s.labels.emplace_back("span_kind", std::string(o.kind));
    s.labels.emplace_back("status_code", std::string(o.status));
    if (o.has_route) s.labels.emplace_back("http_route", std::string(o.route()));
    if (!o.http_status().empty()) {
      s.labels.emplace_back("http_response_status_code", std::string(o.http_status()));
    }
    std::sort(s.labels.begin(), s.labels.end());
    s.buckets.assign(options_.buckets.size() + 1, 0);
    s.exemplars.resize(options_.buckets.size() + 1);
    s.created_ms = now_ms;
    it = series_.emplace(o.key, std::move(s)).first;
  }
  Series& s = it->second;
  ++s.calls;
  size_t bucket = std::lower_bound(options_.buckets.begin(), options_.buckets.end(), o.seconds) -
                  options_.buckets.begin();  // the first bound >= seconds: le is inclusive
  ++s.buckets[bucket];
  s.sum_seconds += o.seconds;
  s.last_seen_ms = now_ms;
  if (o.trace_id.valid() && options_.exemplars_per_bucket > 0) {
    Exemplar e{o.trace_id, o.span_id, o.seconds, o.end_ms};
    std::vector<Exemplar>& kept = s.exemplars[bucket];
    if (kept.size() >= options_.exemplars_per_bucket) kept.erase(kept.begin());
    kept.push_back(e);
    s.latest = e;
  }
  spans_counted_.fetch_add(1, std::memory_order_relaxed);
}

void SpanMetrics::AppendSeries(const Series& s, int64_t now_ms, store::MetricBatch* batch) const {
  // A new series starts from 0 at the time its first span came, so that
  // rate() and increase() count the spans of its first interval.
  const int64_t zero_ms = std::min(s.created_ms, now_ms - 1);
  auto add = [&](store::Labels labels, double value, const std::vector<Exemplar>& exemplars) {
    store::SeriesSamples out;
    out.labels = std::move(labels);
    if (!s.written) out.samples.push_back({zero_ms, 0});
    out.samples.push_back({now_ms, value});
    for (const Exemplar& e : exemplars) {
      out.exemplars.push_back(
          {{{"span_id", e.span_id.ToHex()}, {"trace_id", e.trace_id.ToHex()}}, e.seconds, e.t_ms});
    }
    batch->series.push_back(std::move(out));
  };
  std::vector<Exemplar> latest;
  if (s.latest) latest.push_back(*s.latest);
  add(WithName(s.labels, kCallsName), static_cast<double>(s.calls), latest);
  const std::string bucket_name = std::string(kLatencyName) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < s.buckets.size(); ++i) {
    cumulative += s.buckets[i];
    std::string le = i < options_.buckets.size() ? FormatLe(options_.buckets[i]) : "+Inf";
    add(WithName(s.labels, bucket_name, le), static_cast<double>(cumulative), s.exemplars[i]);
  }
  add(WithName(s.labels, std::string(kLatencyName) + "_sum"), s.sum_seconds, {});
  add(WithName(s.labels, std::string(kLatencyName) + "_count"), static_cast<double>(s.calls), {});
}

Status SpanMetrics::Flush(int64_t now_ms) {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  store::MetricBatch batch;
  int64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = series_.begin(); it != series_.end();) {
      Series& s = it->second;
      AppendSeries(s, now_ms, &batch);
      s.written = true;
      for (auto& kept : s.exemplars) kept.clear();
      s.latest.reset();
      if (s.last_seen_ms < now_ms - options_.stale_after.count()) {
        it = series_.erase(it);
      } else {
        ++it;
      }
    }
    dropped = limit_dropped_unreported_;
    limit_dropped_unreported_ = 0;
  }
  flushes_.fetch_add(1, std::memory_order_relaxed);
  if (dropped > 0 && options_.on_limit) options_.on_limit(dropped, options_.max_series);
  if (batch.series.empty()) return Status::Ok();
  batch.metadata = {
      {std::string(kCallsName), store::MetricType::kCounter,
       "Spans counted by quartetd's span metrics, by service, span name, kind and status", ""},
      {std::string(kLatencyName), store::MetricType::kHistogram,
       "Span durations in seconds, by service, span name, kind and status", "seconds"},
  };
  Result<store::MetricAppendResult> appended = metrics_->Append(batch);
  if (!appended.ok()) {
    append_errors_.fetch_add(1, std::memory_order_relaxed);
    return appended.status();
  }
  samples_written_.fetch_add(appended->accepted_samples, std::memory_order_relaxed);
  exemplars_written_.fetch_add(appended->accepted_exemplars, std::memory_order_relaxed);
  if (!appended->error.ok()) {
    append_errors_.fetch_add(1, std::memory_order_relaxed);
    return appended->error;
  }
  return Status::Ok();
}

void SpanMetrics::Start() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(thread_mu_);
    while (!wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
      lock.unlock();
      (void)Flush();  // counted in stats; the next flush carries the same totals
      lock.lock();
    }
  });
}

void SpanMetrics::Stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  (void)Flush();
}

SpanMetricsStats SpanMetrics::stats() const {
  SpanMetricsStats s;
  s.spans_counted = spans_counted_.load();
  s.late_spans = late_spans_.load();
  s.series_limit_spans = series_limit_spans_.load();
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.series = static_cast<int64_t>(series_.size());
  }
  s.flushes = flushes_.load();
  s.samples_written = samples_written_.load();
  s.exemplars_written = exemplars_written_.load();
  s.append_errors = append_errors_.load();
  return s;
}

}  // namespace quartet::ingest
