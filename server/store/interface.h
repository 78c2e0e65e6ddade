// The storage contract of quartetd: what ingest writes and what the query
// APIs read, for traces, logs and metrics (profiles join on the same engine
// later). Everything outside server/store/ reaches storage only through these
// interfaces; server/main.cc alone picks the implementations.
//
// Durability: an Append* call that returns OK has put its data in the
// write-ahead log under the configured sync policy (default: fsync'd, so it
// survives kill -9 and power loss). An Append* call that returns
// ResourceExhausted / Unavailable stored nothing and the caller should answer
// 429/503 with Retry-After; InvalidArgument names the bad record.
//
// Thread-safety: every method of every interface here may be called
// concurrently from any thread. Callbacks run on the calling thread and must
// not call back into the same store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "quartet/context.h"
#include "wire/otlp/model.h"
#include "wire/pprof/profile.h"

namespace quartet::store {

// Label sets of log streams: sorted by name, names unique.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A half-open time interval [start_ns, end_ns) in unix nanoseconds.
struct TimeRange {
  int64_t start_ns = 0;
  int64_t end_ns = INT64_MAX;
  bool Overlaps(int64_t lo, int64_t hi) const { return lo < end_ns && hi >= start_ns; }
};

// How an append went: what was stored and what was refused with why (the
// OTLP partial-success response carries these).
struct AppendResult {
  int64_t accepted = 0;
  int64_t rejected = 0;
  std::string rejection_message;  // first reason, "" when nothing was rejected
};

// ---- the correlation index: one entry per trace -------------------------

// What quartetd knows about a whole trace, kept at ingest, so that a trace
// id opens every signal with no time range from the caller.
struct TraceSummary {
  TraceId trace_id;
  int64_t start_ns = 0;  // earliest span start
  int64_t end_ns = 0;    // latest span end
  int64_t duration_ns() const { return end_ns - start_ns; }
  std::string root_service;  // service.name of the root span ("" until it arrives)
  std::string root_name;     // name of the root span
  std::string root_route;    // http.route of the root span, if any
  bool has_error = false;    // some span has status ERROR
  int64_t span_count = 0;
  int64_t log_count = 0;              // log records carrying this trace id
  std::vector<std::string> services;  // every service.name seen, sorted
};

// ---- traces --------------------------------------------------------------

// Cheap tests the store applies, with its indexes, before materialising a
// trace's spans for the query engine. Each field narrows; an empty filter
// matches every trace in the range. The engine re-checks everything, so a
// store may ignore any hint (it only costs speed).
// A comparison of a numeric (int or double) span or resource attribute with
// a number; a string or absent attribute never satisfies it.
struct NumericAttributeCondition {
  enum class Op { kEq, kNeq, kLt, kLte, kGt, kGte };
  std::string key;
  Op op = Op::kEq;
  double value = 0;

  // Whether an attribute's number (ints compare as doubles) satisfies it.
  bool Holds(double v) const {
    switch (op) {
      case Op::kEq:
        return v == value;
      case Op::kNeq:
        return v != value;
      case Op::kLt:
        return v < value;
      case Op::kLte:
        return v <= value;
      case Op::kGt:
        return v > value;
      case Op::kGte:
        return v >= value;
    }
    return false;
  }
};

struct TraceFilter {
  // Traces with a part (the spans stored together: in the head, or in one
  // block) overlapping the range; span conditions are met by spans of such
  // parts, whole-trace conditions by the whole trace.
  TimeRange range;
  // Traces with at least one span satisfying every condition below.
  std::optional<std::string> service;                                  // resource service.name
  std::optional<std::string> span_name;                                // span name
  std::vector<std::pair<std::string, std::string>> string_attributes;  // span or resource
  std::vector<NumericAttributeCondition> numeric_attributes;           // span or resource
  std::optional<int64_t> min_span_duration_ns;
  std::optional<int64_t> max_span_duration_ns;
  bool span_has_error = false;
  // Further spans the trace must have, each satisfying the span-level
  // conditions of its entry (TraceQL's `{ a } && { b }`); only the span-level
  // fields of these entries are read.
  std::vector<TraceFilter> other_spans;

  // Whether any span-level condition is set (when none is, every trace whose
  // summary matches is a candidate).
  bool HasSpanConditions() const {
    return service || span_name || !string_attributes.empty() || !numeric_attributes.empty() ||
           min_span_duration_ns || max_span_duration_ns || span_has_error;
  }
  // Whole-trace conditions (from the correlation index).
  std::optional<int64_t> min_trace_duration_ns;
  std::optional<int64_t> max_trace_duration_ns;
  std::optional<std::string> root_route;
  std::optional<std::string> root_name;
  std::optional<std::string> root_service;
};

// One trace handed to the query engine: its summary and its spans, grouped as
// OTLP groups them (resource -> scope -> spans).
struct TraceCandidate {
  const TraceSummary* summary;
  const otlp::ExportTraceServiceRequest* spans;
};

class TraceStore {
 public:
  virtual ~TraceStore() = default;

  // Stores every span of `request` (and updates the correlation index). The
  // store takes the request: its spans are moved in, not copied. `protobuf`,
  // when not empty, is the OTLP protobuf encoding `request` was decoded from
  // (the received body, unmodified since): a store that logs appends may
  // write these bytes instead of encoding the request again, so they must
  // decode to exactly `request`. Empty: no such bytes (JSON, built).
  virtual Result<AppendResult> AppendSpans(otlp::ExportTraceServiceRequest request,
                                           std::string_view protobuf) = 0;
  // The same without received bytes. Implementations add
  // `using TraceStore::AppendSpans;` so that it stays visible.
  Result<AppendResult> AppendSpans(otlp::ExportTraceServiceRequest request) {
    return AppendSpans(std::move(request), std::string_view());
  }

  // The whole trace, grouped by resource and scope; NotFound when unknown.
  virtual Result<otlp::ExportTraceServiceRequest> GetTrace(const TraceId& id) = 0;
  virtual Result<TraceSummary> GetTraceSummary(const TraceId& id) = 0;

  // Calls `fn` for traces that may match `filter`, newest first, until it
  // returns false. Traces are complete (every stored span), and each is
  // delivered once.
  virtual Status SearchTraces(const TraceFilter& filter,
                              const std::function<bool(const TraceCandidate&)>& fn) = 0;

  // ---- request summaries (the incident engine's full-population pass) ----
  // Calls `fn` with the merged summary (root service, name, route, start,
  // end, error, trace id) of every trace SearchTraces(filter) would deliver,
  // each once, until it returns false, without materialising spans (index
  // lookups, not span decoding). The trace table delivers in ascending trace
  // id order (ids are random: any prefix is a uniform sample); this default,
  // for other stores, delivers SearchTraces' summaries in its order.
  virtual Status SearchSummaries(const TraceFilter& filter,
                                 const std::function<bool(const TraceSummary&)>& fn) {
    return SearchTraces(filter, [&](const TraceCandidate& c) { return fn(*c.summary); });
  }

  // Attribute names seen on spans ("span") and resources ("resource") in the
  // range, and the values of one of them (most frequent first, at most
  // `limit`). `scope` is "span", "resource" or "" for both.
  virtual Result<std::vector<std::string>> TagNames(std::string_view scope,
                                                    const TimeRange& range) = 0;
  virtual Result<std::vector<std::string>> TagValues(std::string_view scope, std::string_view name,
                                                     const TimeRange& range, size_t limit) = 0;
};

// ---- logs ----------------------------------------------------------------

// One log line as stored: the Loki model, which OTLP log records map onto
// (body -> line, attributes -> structured metadata, trace/span ids -> the
// `trace_id` / `span_id` metadata), so one query language serves both.
struct LogEntry {
  int64_t timestamp_ns = 0;
  std::string line;
  Labels structured_metadata;  // sorted by name
  TraceId trace_id;            // all-zero when the line is not in a trace
  SpanId span_id;
};

struct LogStream {
  Labels labels;  // the stream's identity: low-cardinality labels
  std::vector<LogEntry> entries;
};

// A stream selector matcher, with Prometheus/Loki semantics (regexes are RE2
// and fully anchored).
struct LabelMatch {
  enum class Op { kEq, kNeq, kRe, kNre };
  std::string name;
  Op op = Op::kEq;
  std::string value;
};

enum class Direction { kForward, kBackward };

struct LogScan {
  std::vector<LabelMatch> matchers;  // all must match the stream labels
  TimeRange range;
  Direction direction = Direction::kBackward;
  // Substrings every delivered line must contain; a store may use them to
  // skip data, and must deliver only lines that contain all of them.
  std::vector<std::string> required_substrings;
};

// One delivered line: the stream's labels and the entry.
struct LogRow {
  const Labels* stream;
  int64_t timestamp_ns;
  std::string_view line;
  const Labels* structured_metadata;
  TraceId trace_id;
  SpanId span_id;
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  virtual Result<AppendResult> AppendLogs(std::vector<LogStream> streams) = 0;

  // Delivers matching lines in time order (per `direction`) until fn returns
  // false.
  virtual Status Scan(const LogScan& scan, const std::function<bool(const LogRow&)>& fn) = 0;

  // The lines of one trace (and, when span_id is valid, of one span), in time
  // order, with no time range needed: found through the correlation index.
  virtual Status LogsOfTrace(const TraceId& trace_id, const SpanId& span_id,
                             const std::function<bool(const LogRow&)>& fn) = 0;
  // How many stored lines carry `trace_id` (from the index, no scan).
  virtual int64_t CountLogsOfTrace(const TraceId& trace_id) = 0;

  virtual Result<std::vector<std::string>> LabelNames(const TimeRange& range) = 0;
  virtual Result<std::vector<std::string>> LabelValues(std::string_view name,
                                                       const TimeRange& range) = 0;
  // Label sets of the streams matching `matchers` in the range.
  virtual Result<std::vector<Labels>> Series(const std::vector<LabelMatch>& matchers,
                                             const TimeRange& range) = 0;
};

// ---- metrics ---------------------------------------------------------------
// Prometheus's model: series are label sets, samples are (unix ms, float64).
struct Sample {
  int64_t t_ms = 0;
  double v = 0;
};

// An exemplar: a sample of the series with its own labels (trace_id,
// span_id, ...), linking a histogram bucket or counter to a trace.
struct Exemplar {
  Labels labels;  // sorted by name
  double value = 0;
  int64_t t_ms = 0;
};

enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateSet = 7,
};
inline constexpr uint8_t kMaxMetricType = 7;

// What Prometheus's /api/v1/metadata returns, per metric family.
struct MetricMetadata {
  std::string family;  // e.g. "http_server_request_duration_seconds"
  MetricType type = MetricType::kUnknown;
  std::string help;
  std::string unit;
};

// One series' new data. `labels` identify it: sorted by name, names unique
// and non-empty, values non-empty (a label with an empty value is the same as
// no label, as in Prometheus: drop it before appending). Samples in time
// order; exemplars any order.
struct SeriesSamples {
  Labels labels;
  std::vector<Sample> samples;
  std::vector<Exemplar> exemplars;
};

// One append: what a remote_write request, a scrape or an OTLP export
// carries.
struct MetricBatch {
  std::vector<SeriesSamples> series;
  std::vector<MetricMetadata> metadata;
};

// A series of an append by reference: its labels and samples are borrowed
// (they need only outlive the call), with the same rules as SeriesSamples.
struct LabelRef {
  std::string_view name;
  std::string_view value;
};
struct SeriesSamplesRef {
  std::span<const LabelRef> labels;
  std::span<const Sample> samples;
  std::span<const Exemplar> exemplars;
};

// An owned copy of borrowed labels.
inline Labels ToLabels(std::span<const LabelRef> labels) {
  Labels out;
  out.reserve(labels.size());
  for (const LabelRef& l : labels) out.emplace_back(l.name, l.value);
  return out;
}

// How an append went, per reason. Rejections do not fail the call: every
// other sample was stored. `error` is the first rejection as a status
// (InvalidArgument: the request should be answered 400 with its message,
// as Prometheus answers remote_write with rejected samples).
struct MetricAppendResult {
  int64_t accepted_samples = 0;
  int64_t accepted_exemplars = 0;
  int64_t duplicate_samples = 0;     // same timestamp and value as stored: ignored, not an error
  int64_t out_of_order_samples = 0;  // older than the series' last sample
  int64_t conflicting_samples = 0;   // same timestamp, different value
  int64_t series_limit_samples = 0;  // of new series over the per-metric limit
  int64_t invalid_samples = 0;       // of series with malformed labels
  int64_t dropped_exemplars = 0;     // duplicate, out of order or invalid
  Status error;
  int64_t rejected_samples() const {
    return out_of_order_samples + conflicting_samples + series_limit_samples + invalid_samples;
  }
};

class MetricStore {
 public:
  virtual ~MetricStore() = default;

  // Stores a batch. Not OK only when nothing can be stored: ResourceExhausted
  // (memory limit; retry later: 429), Unavailable (closed), or an I/O error.
  // Per-sample rejections are counted in the result, the rest is stored.
  virtual Result<MetricAppendResult> Append(const MetricBatch& batch) = 0;

  // Append of borrowed series: remote_write's hot path, where a request
  // names thousands of series, nearly all known, one sample each, and
  // building a Labels per series would cost more than storing its sample.
  // The metric table finds known series from the borrowed bytes and copies
  // the labels of new series only; this default copies everything.
  virtual Result<MetricAppendResult> AppendRefs(std::span<const SeriesSamplesRef> series,
                                                const std::vector<MetricMetadata>& metadata) {
    MetricBatch batch;
    batch.series.reserve(series.size());
    for (const SeriesSamplesRef& ref : series) {
      SeriesSamples& s = batch.series.emplace_back();
      s.labels = ToLabels(ref.labels);
      s.samples.assign(ref.samples.begin(), ref.samples.end());
      s.exemplars.assign(ref.exemplars.begin(), ref.exemplars.end());
    }
    batch.metadata = metadata;
    return Append(batch);
  }

  // Calls fn once per series matching `matchers` that has samples in
  // [min_t_ms, max_t_ms] (inclusive, as PromQL selects), series in label
  // order, samples in time order, until fn returns false. InvalidArgument for
  // a regex that does not compile.
  using SeriesFn = std::function<bool(const Labels& series, std::span<const Sample> samples)>;
  virtual Status Select(const std::vector<LabelMatch>& matchers, int64_t min_t_ms, int64_t max_t_ms,
                        const SeriesFn& fn) = 0;
  // The same for exemplars (Prometheus's /api/v1/query_exemplars).
  using ExemplarFn = std::function<bool(const Labels& series, std::span<const Exemplar> exemplars)>;
  virtual Status SelectExemplars(const std::vector<LabelMatch>& matchers, int64_t min_t_ms,
                                 int64_t max_t_ms, const ExemplarFn& fn) = 0;

  // Sorted label names / values of `name` / label sets of the series with
  // samples in [min_t_ms, max_t_ms] that match `matchers` (none: all).
  virtual Result<std::vector<std::string>> LabelNames(const std::vector<LabelMatch>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) = 0;
  virtual Result<std::vector<std::string>> LabelValues(std::string_view name,
                                                       const std::vector<LabelMatch>& matchers,
                                                       int64_t min_t_ms, int64_t max_t_ms) = 0;
  virtual Result<std::vector<Labels>> Series(const std::vector<LabelMatch>& matchers,
                                             int64_t min_t_ms, int64_t max_t_ms) = 0;

  // Metadata by metric family, sorted by family; only `family` when given.
  virtual std::vector<MetricMetadata> Metadata(std::string_view family = {}) const = 0;
};

// ---- profiles ------------------------------------------------------------
// Profiles: one ingested pprof becomes one profile per sample type.
struct StoredProfile {
  // Series labels, sorted by name: service_name, service_version, env,
  // __name__ (e.g. "process_cpu"), ... (no span_id: that is a pprof sample
  // label).
  Labels labels;
  // "<name>:<sample type>:<sample unit>:<period type>:<period unit>", e.g.
  // "process_cpu:cpu:nanoseconds:cpu:nanoseconds".
  std::string profile_type;
  int64_t time_ns = 0;      // from
  int64_t duration_ns = 0;  // until - from
  // Restricted to this one sample type (sample_type has one entry, each
  // sample one value); samples keep their pprof labels (span_id, span_name,
  // ...).
  pprof::Profile profile;
};

struct ProfileAppendResult {
  int64_t profiles = 0;  // profile types stored (one per sample type)
  int64_t samples = 0;   // samples stored, summed over the profile types
};

// One stored profile of a ProfileBatch: views into the store's sample
// columns, valid during the SelectProfileBatches callback.
struct ProfileBatchRow {
  const Labels* labels = nullptr;  // series labels, as StoredProfile::labels
  int64_t time_ns = 0;
  int64_t duration_ns = 0;
  std::span<const uint32_t> stacks;      // per sample: a stack of the batch
  std::span<const int64_t> values;       // per sample
  std::span<const uint32_t> label_sets;  // per sample: a label set of the batch
};

// Stored profiles of one profile type that share one symbol table (a block
// or head of the store), as SelectProfileBatches delivers them: a merge adds
// values per stack id and names each location once per batch, instead of
// once per sample of every profile.
class ProfileBatch {
 public:
  virtual ~ProfileBatch() = default;

  std::vector<ProfileBatchRow> rows;
  // Empty: every sample is selected. Else, per label set, nonzero when the
  // query's sample-label matchers (span_id=...) accept its samples; the
  // samples of other label sets are not part of the selection.
  std::vector<uint8_t> selected_label_sets;

  virtual size_t stack_count() const = 0;
  // The locations of `stack` (indexes below location_count()), leaf first.
  virtual std::span<const uint32_t> Stack(uint32_t stack) const = 0;
  virtual size_t location_count() const = 0;
  // Appends the frames of a location, outermost first, named as
  // StoredProfile's pprof reads: line -> function name (else system name),
  // inlined functions expanded, and without a named function its address
  // ("0x4012ab"). The views live as long as the batch.
  virtual void AppendLocationFrames(uint32_t location,
                                    std::vector<std::string_view>* outermost_first) const = 0;
  virtual size_t label_set_count() const = 0;
  // The string labels (span_id, span_name, ...) of a label set, sorted.
  virtual Labels SampleLabels(uint32_t label_set) const = 0;
};

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;

  // Stores every sample type of `profile` as its own profile type. `labels`
  // are the series labels (from Pyroscope's name{tags}).
  virtual Result<ProfileAppendResult> AppendProfile(const Labels& labels, int64_t from_ns,
                                                    int64_t until_ns,
                                                    const pprof::Profile& profile) = 0;
  // Calls fn for each stored profile of `profile_type` whose series matches
  // and whose [time, time+duration) overlaps range; fn returns false to stop.
  virtual Status SelectProfiles(std::string_view profile_type,
                                const std::vector<LabelMatch>& matchers, const TimeRange& range,
                                const std::function<bool(const StoredProfile&)>& fn) = 0;
  // The profiles SelectProfiles would deliver, grouped into batches that
  // share symbols; fn returns false to stop. fn may run under the store's
  // read lock: it must only compute, never call the store. The default is
  // FailedPrecondition (not supported): callers then use SelectProfiles.
  virtual Status SelectProfileBatches(std::string_view /*profile_type*/,
                                      const std::vector<LabelMatch>& /*matchers*/,
                                      const TimeRange& /*range*/,
                                      const std::function<bool(const ProfileBatch&)>& /*fn*/) {
    return Status::FailedPrecondition("profile batches not supported by this store");
  }
  // Sorted, distinct profile types / series label names / values of `name`
  // of the series matching `matchers` with profiles overlapping `range`.
  virtual Result<std::vector<std::string>> ProfileTypes(const std::vector<LabelMatch>& matchers,
                                                        const TimeRange& range) = 0;
  virtual Result<std::vector<std::string>> ProfileLabelNames(
      const std::vector<LabelMatch>& matchers, const TimeRange& range) = 0;
  virtual Result<std::vector<std::string>> ProfileLabelValues(
      std::string_view name, const std::vector<LabelMatch>& matchers, const TimeRange& range) = 0;
};

// ---- annotations -------------------------------------------------------------
// Grafana's annotation model: events (a deploy, a migration) marked on every
// chart, found by time and tags. Times are unix milliseconds. The SDK's deploy
// announcements carry their identity as tags ("deploy", "service=checkout",
// "version=1.4.2", "env=prod"), so tags are the query key.
struct Annotation {
  int64_t id = 0;           // assigned by Create: increasing, never reused
  int64_t time_ms = 0;      // start
  int64_t time_end_ms = 0;  // == time_ms for a point in time
  std::vector<std::string> tags;
  std::string text;
  std::string dashboard_uid;  // "" for an organisation-wide annotation
  int64_t dashboard_id = 0;   // Grafana's legacy numeric dashboard id
  int64_t panel_id = 0;
  std::string data_json;   // Grafana's free-form "data" object as JSON text, "" when none
  int64_t created_ms = 0;  // set by Create
  int64_t updated_ms = 0;  // set by Create and Patch
};

// The fields a Patch changes; unset fields keep their value.
struct AnnotationPatch {
  std::optional<int64_t> time_ms;
  std::optional<int64_t> time_end_ms;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> text;
  std::optional<std::string> data_json;
};

// What Find returns: annotations overlapping [from_ms, to_ms] (time <= to and
// time_end >= from, as Grafana), carrying the tags (all of them, or any with
// match_any), on the dashboard/panel when given, whose text contains
// `text_contains`; newest first (time, then time_end, then id, descending),
// at most `limit`.
struct AnnotationQuery {
  int64_t from_ms = 0;
  int64_t to_ms = INT64_MAX;
  std::vector<std::string> tags;
  bool match_any = false;
  std::optional<std::string> dashboard_uid;
  std::optional<int64_t> dashboard_id;
  std::optional<int64_t> panel_id;
  std::string text_contains;
  size_t limit = 100;
};

struct AnnotationTagCount {
  std::string tag;
  int64_t count = 0;
};

class AnnotationStore {
 public:
  virtual ~AnnotationStore() = default;

  // Stores `annotation` durably (its id, created and updated are assigned;
  // a time_ms of 0 means now and a time_end_ms of 0 means time_ms) and
  // returns it as stored.
  virtual Result<Annotation> Create(Annotation annotation) = 0;
  // NotFound for an unknown (or deleted) id.
  virtual Result<Annotation> Get(int64_t id) = 0;
  virtual Result<std::vector<Annotation>> Find(const AnnotationQuery& query) = 0;
  // Applies `patch` durably and returns the result; NotFound for an unknown id.
  virtual Result<Annotation> Patch(int64_t id, const AnnotationPatch& patch) = 0;
  // NotFound for an unknown id.
  virtual Status Delete(int64_t id) = 0;
  // Tags in use with how many annotations carry each, most used first (then
  // by name), those starting with `prefix`, at most `limit`.
  virtual Result<std::vector<AnnotationTagCount>> Tags(std::string_view prefix, size_t limit) = 0;
};

}  // namespace quartet::store
