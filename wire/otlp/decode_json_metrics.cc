// OTLP/JSON metrics.
#include <string>

#include "wire/otlp/decode_json.h"
#include "wire/otlp/decode_json_internal.h"

namespace quartet::otlp {
namespace internal {
namespace {

// "asDouble"/"asInt" oneof of NumberDataPoint and Exemplar.
Status JsonNumber(const Value& v, NumberKind* kind, double* as_double, int64_t* as_int) {
  const Value* d = v.Find("asDouble");
  const Value* i = v.Find("asInt");
  if (d != nullptr && !d->is_null()) {
    *kind = NumberKind::kDouble;
    RETURN_IF_ERROR(JsonDouble(v, "asDouble", as_double));
  }
  if (i != nullptr && !i->is_null()) {
    *kind = NumberKind::kInt;
    RETURN_IF_ERROR(JsonInt64(v, "asInt", as_int));
  }
  return Status::Ok();
}

Status JsonExemplars(const Value& v, std::vector<Exemplar>* out) {
  return JsonEach(v, "exemplars", [&](const Value& e) {
    RETURN_IF_ERROR(ExpectObject(e));
    Exemplar& ex = out->emplace_back();
    RETURN_IF_ERROR(JsonKeyValues(e, "filteredAttributes", &ex.filtered_attributes));
    RETURN_IF_ERROR(JsonUint64(e, "timeUnixNano", &ex.time_unix_nano));
    RETURN_IF_ERROR(JsonNumber(e, &ex.kind, &ex.as_double, &ex.as_int));
    RETURN_IF_ERROR(JsonId(e, "spanId", ex.span_id.bytes.data(), 8, true));
    return JsonId(e, "traceId", ex.trace_id.bytes.data(), 16, true);
  });
}

template <typename P>
Status JsonPointCommon(const Value& v, P* p) {
  RETURN_IF_ERROR(ExpectObject(v));
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &p->attributes));
  RETURN_IF_ERROR(JsonUint64(v, "startTimeUnixNano", &p->start_time_unix_nano));
  RETURN_IF_ERROR(JsonUint64(v, "timeUnixNano", &p->time_unix_nano));
  return JsonUint32(v, "flags", &p->flags);
}

Status JsonNumberPoint(const Value& v, NumberDataPoint* p) {
  RETURN_IF_ERROR(JsonPointCommon(v, p));
  RETURN_IF_ERROR(JsonNumber(v, &p->kind, &p->as_double, &p->as_int));
  return JsonExemplars(v, &p->exemplars);
}

Status JsonUint64s(const Value& v, std::string_view key, std::vector<uint64_t>* out) {
  return JsonEach(v, key, [&](const Value& item) {
    uint64_t n = 0;
    RETURN_IF_ERROR(JsonUint64Value(item, "", &n));
    out->push_back(n);
    return Status::Ok();
  });
}

Status JsonDoubles(const Value& v, std::string_view key, std::vector<double>* out) {
  return JsonEach(v, key, [&](const Value& item) {
    double d = 0;
    RETURN_IF_ERROR(JsonDoubleValue(item, "", &d));
    out->push_back(d);
    return Status::Ok();
  });
}

Status JsonHistogramPoint(const Value& v, HistogramDataPoint* p) {
  RETURN_IF_ERROR(JsonPointCommon(v, p));
  RETURN_IF_ERROR(JsonUint64(v, "count", &p->count));
  RETURN_IF_ERROR(JsonOptionalDouble(v, "sum", &p->sum));
  RETURN_IF_ERROR(JsonUint64s(v, "bucketCounts", &p->bucket_counts));
  RETURN_IF_ERROR(JsonDoubles(v, "explicitBounds", &p->explicit_bounds));
  RETURN_IF_ERROR(JsonExemplars(v, &p->exemplars));
  RETURN_IF_ERROR(JsonOptionalDouble(v, "min", &p->min));
  RETURN_IF_ERROR(JsonOptionalDouble(v, "max", &p->max));
  if (!p->bucket_counts.empty() && p->bucket_counts.size() != p->explicit_bounds.size() + 1) {
    return Status::InvalidArgument("bucketCounts: " + std::to_string(p->bucket_counts.size()) +
                                   " buckets for " + std::to_string(p->explicit_bounds.size()) +
                                   " explicitBounds, want " +
                                   std::to_string(p->explicit_bounds.size() + 1));
  }
  return Status::Ok();
}

Status JsonBuckets(const Value& v, ExponentialBuckets* b) {
  RETURN_IF_ERROR(JsonInt32(v, "offset", &b->offset));
  return JsonUint64s(v, "bucketCounts", &b->bucket_counts);
}

Status JsonExponentialPoint(const Value& v, ExponentialHistogramDataPoint* p) {
  RETURN_IF_ERROR(JsonPointCommon(v, p));
  RETURN_IF_ERROR(JsonUint64(v, "count", &p->count));
  RETURN_IF_ERROR(JsonOptionalDouble(v, "sum", &p->sum));
  RETURN_IF_ERROR(JsonInt32(v, "scale", &p->scale));
  RETURN_IF_ERROR(JsonUint64(v, "zeroCount", &p->zero_count));
  RETURN_IF_ERROR(
      JsonObject(v, "positive", [&](const Value& b) { return JsonBuckets(b, &p->positive); }));
  RETURN_IF_ERROR(
      JsonObject(v, "negative", [&](const Value& b) { return JsonBuckets(b, &p->negative); }));
  RETURN_IF_ERROR(JsonExemplars(v, &p->exemplars));
  RETURN_IF_ERROR(JsonOptionalDouble(v, "min", &p->min));
  RETURN_IF_ERROR(JsonOptionalDouble(v, "max", &p->max));
  return JsonDouble(v, "zeroThreshold", &p->zero_threshold);
}

Status JsonSummaryPoint(const Value& v, SummaryDataPoint* p) {
  RETURN_IF_ERROR(JsonPointCommon(v, p));
  RETURN_IF_ERROR(JsonUint64(v, "count", &p->count));
  RETURN_IF_ERROR(JsonDouble(v, "sum", &p->sum));
  return JsonEach(v, "quantileValues", [&](const Value& q) {
    RETURN_IF_ERROR(ExpectObject(q));
    ValueAtQuantile& vq = p->quantile_values.emplace_back();
    RETURN_IF_ERROR(JsonDouble(q, "quantile", &vq.quantile));
    return JsonDouble(q, "value", &vq.value);
  });
}

template <typename Point, typename DecodePoint>
Status JsonData(const Value& data, Metric* m, std::vector<Point>* points, DecodePoint decode) {
  RETURN_IF_ERROR(JsonEach(data, "dataPoints",
                           [&](const Value& p) { return decode(p, &points->emplace_back()); }));
  int32_t temporality = 0;
  RETURN_IF_ERROR(JsonInt32(data, "aggregationTemporality", &temporality));
  m->temporality = static_cast<AggregationTemporality>(temporality);
  return JsonBool(data, "isMonotonic", &m->is_monotonic);
}

Status JsonMetric(const Value& v, Metric* m) {
  RETURN_IF_ERROR(ExpectObject(v));
  RETURN_IF_ERROR(JsonString(v, "name", &m->name));
  RETURN_IF_ERROR(JsonString(v, "description", &m->description));
  RETURN_IF_ERROR(JsonString(v, "unit", &m->unit));
  RETURN_IF_ERROR(JsonKeyValues(v, "metadata", &m->metadata));
  struct Kind {
    const char* key;
    Metric::Type type;
  };
  static constexpr Kind kKinds[] = {
      {"gauge", Metric::Type::kGauge},
      {"sum", Metric::Type::kSum},
      {"histogram", Metric::Type::kHistogram},
      {"exponentialHistogram", Metric::Type::kExponentialHistogram},
      {"summary", Metric::Type::kSummary},
  };
  for (const Kind& k : kKinds) {
    const Value* data = v.Find(k.key);
    if (data == nullptr || data->is_null()) continue;
    if (m->type != Metric::Type::kNone) {
      return Status::InvalidArgument(std::string(k.key) + ": metric has more than one data kind");
    }
    m->type = k.type;
    RETURN_IF_ERROR(JsonObject(v, k.key, [&](const Value& d) {
      switch (k.type) {
        case Metric::Type::kGauge:
        case Metric::Type::kSum:
          return JsonData(d, m, &m->number_points, JsonNumberPoint);
        case Metric::Type::kHistogram:
          return JsonData(d, m, &m->histogram_points, JsonHistogramPoint);
        case Metric::Type::kExponentialHistogram:
          return JsonData(d, m, &m->exponential_histogram_points, JsonExponentialPoint);
        case Metric::Type::kSummary:
          return JsonData(d, m, &m->summary_points, JsonSummaryPoint);
        case Metric::Type::kNone:
          break;
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

}  // namespace
}  // namespace internal

Result<ExportMetricsServiceRequest> DecodeMetricsJson(std::string_view json) {
  using namespace internal;
  ASSIGN_OR_RETURN(Value root, ParseJsonBody(json));
  ExportMetricsServiceRequest req;
  Status st = JsonEach(root, "resourceMetrics", [&](const Value& rv) {
    RETURN_IF_ERROR(ExpectObject(rv));
    ResourceMetrics& rm = req.resource_metrics.emplace_back();
    RETURN_IF_ERROR(
        JsonObject(rv, "resource", [&](const Value& r) { return JsonResource(r, &rm.resource); }));
    RETURN_IF_ERROR(JsonString(rv, "schemaUrl", &rm.schema_url));
    return JsonEach(rv, "scopeMetrics", [&](const Value& sv) {
      RETURN_IF_ERROR(ExpectObject(sv));
      ScopeMetrics& sm = rm.scope_metrics.emplace_back();
      RETURN_IF_ERROR(
          JsonObject(sv, "scope", [&](const Value& s) { return JsonScope(s, &sm.scope); }));
      RETURN_IF_ERROR(JsonString(sv, "schemaUrl", &sm.schema_url));
      return JsonEach(sv, "metrics",
                      [&](const Value& m) { return JsonMetric(m, &sm.metrics.emplace_back()); });
    });
  });
  if (!st.ok()) return TopLevel(st);
  return req;
}

}  // namespace quartet::otlp
