#include <string>

#include "wire/otlp/decode.h"
#include "wire/otlp/decode_internal.h"

namespace quartet::otlp {
namespace internal {
namespace {

Status DecodeExemplar(Reader& r, Exemplar* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 2:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 3:
        out->kind = NumberKind::kDouble;
        RETURN_IF_ERROR(Get(f.Double(), "as_double", &out->as_double));
        break;
      case 4:
        RETURN_IF_ERROR(GetId(f, "span_id", out->span_id.bytes.data(), 8, true));
        break;
      case 5:
        RETURN_IF_ERROR(GetId(f, "trace_id", out->trace_id.bytes.data(), 16, true));
        break;
      case 6:
        out->kind = NumberKind::kInt;
        RETURN_IF_ERROR(Get(f.Sfixed64(), "as_int", &out->as_int));
        break;
      case 7:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "filtered_attributes", &out->filtered_attributes));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status AppendExemplar(const Reader& r, const Field& f, std::vector<Exemplar>* list) {
  RETURN_IF_ERROR(Grow(r, list));
  return Sub(r, f, "exemplars", list->size() - 1,
             [&](Reader& c) { return DecodeExemplar(c, &list->back()); });
}

Status DecodeNumberPoint(Reader& r, NumberDataPoint* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 2:
        RETURN_IF_ERROR(Get(f.Fixed64(), "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        out->kind = NumberKind::kDouble;
        RETURN_IF_ERROR(Get(f.Double(), "as_double", &out->as_double));
        break;
      case 5:
        RETURN_IF_ERROR(AppendExemplar(r, f, &out->exemplars));
        break;
      case 6:
        out->kind = NumberKind::kInt;
        RETURN_IF_ERROR(Get(f.Sfixed64(), "as_int", &out->as_int));
        break;
      case 7:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 8:
        RETURN_IF_ERROR(Get(f.Uint32(), "flags", &out->flags));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status DecodeHistogramPoint(Reader& r, HistogramDataPoint* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 2:
        RETURN_IF_ERROR(Get(f.Fixed64(), "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        RETURN_IF_ERROR(Get(f.Fixed64(), "count", &out->count));
        break;
      case 5:
        RETURN_IF_ERROR(GetOptionalDouble(f, "sum", &out->sum));
        break;
      case 6:
        RETURN_IF_ERROR(Named("bucket_counts", protobuf::AppendFixed64s(f, &out->bucket_counts)));
        break;
      case 7:
        RETURN_IF_ERROR(
            Named("explicit_bounds", protobuf::AppendDoubles(f, &out->explicit_bounds)));
        break;
      case 8:
        RETURN_IF_ERROR(AppendExemplar(r, f, &out->exemplars));
        break;
      case 9:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 10:
        RETURN_IF_ERROR(Get(f.Uint32(), "flags", &out->flags));
        break;
      case 11:
        RETURN_IF_ERROR(GetOptionalDouble(f, "min", &out->min));
        break;
      case 12:
        RETURN_IF_ERROR(GetOptionalDouble(f, "max", &out->max));
        break;
      default:
        break;
    }
  }
  if (r.status().ok() && !out->bucket_counts.empty() &&
      out->bucket_counts.size() != out->explicit_bounds.size() + 1) {
    return Status::InvalidArgument("bucket_counts: " + std::to_string(out->bucket_counts.size()) +
                                   " buckets for " + std::to_string(out->explicit_bounds.size()) +
                                   " explicit_bounds, want " +
                                   std::to_string(out->explicit_bounds.size() + 1));
  }
  return Status::Ok();
}

Status DecodeBuckets(Reader& r, ExponentialBuckets* out) {
  Field f;
  while (r.Next(&f)) {
    if (f.number == 1) {
      RETURN_IF_ERROR(Get(f.Sint32(), "offset", &out->offset));
    } else if (f.number == 2) {
      RETURN_IF_ERROR(Named("bucket_counts", protobuf::AppendVarints(f, &out->bucket_counts)));
    }
  }
  return Status::Ok();
}

Status DecodeExponentialPoint(Reader& r, ExponentialHistogramDataPoint* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 2:
        RETURN_IF_ERROR(Get(f.Fixed64(), "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        RETURN_IF_ERROR(Get(f.Fixed64(), "count", &out->count));
        break;
      case 5:
        RETURN_IF_ERROR(GetOptionalDouble(f, "sum", &out->sum));
        break;
      case 6:
        RETURN_IF_ERROR(Get(f.Sint32(), "scale", &out->scale));
        break;
      case 7:
        RETURN_IF_ERROR(Get(f.Fixed64(), "zero_count", &out->zero_count));
        break;
      case 8:
        RETURN_IF_ERROR(Sub(r, f, "positive", kNoIndex,
                            [&](Reader& c) { return DecodeBuckets(c, &out->positive); }));
        break;
      case 9:
        RETURN_IF_ERROR(Sub(r, f, "negative", kNoIndex,
                            [&](Reader& c) { return DecodeBuckets(c, &out->negative); }));
        break;
      case 10:
        RETURN_IF_ERROR(Get(f.Uint32(), "flags", &out->flags));
        break;
      case 11:
        RETURN_IF_ERROR(AppendExemplar(r, f, &out->exemplars));
        break;
      case 12:
        RETURN_IF_ERROR(GetOptionalDouble(f, "min", &out->min));
        break;
      case 13:
        RETURN_IF_ERROR(GetOptionalDouble(f, "max", &out->max));
        break;
      case 14:
        RETURN_IF_ERROR(Get(f.Double(), "zero_threshold", &out->zero_threshold));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status DecodeQuantile(Reader& r, ValueAtQuantile* out) {
  Field f;
  while (r.Next(&f)) {
    if (f.number == 1) {
      RETURN_IF_ERROR(Get(f.Double(), "quantile", &out->quantile));
    } else if (f.number == 2) {
      RETURN_IF_ERROR(Get(f.Double(), "value", &out->value));
    }
  }
  return Status::Ok();
}

Status DecodeSummaryPoint(Reader& r, SummaryDataPoint* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 2:
        RETURN_IF_ERROR(Get(f.Fixed64(), "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 3:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 4:
        RETURN_IF_ERROR(Get(f.Fixed64(), "count", &out->count));
        break;
      case 5:
        RETURN_IF_ERROR(Get(f.Double(), "sum", &out->sum));
        break;
      case 6:
        RETURN_IF_ERROR(Grow(r, &out->quantile_values));
        RETURN_IF_ERROR(
            Sub(r, f, "quantile_values", out->quantile_values.size() - 1,
                [&](Reader& c) { return DecodeQuantile(c, &out->quantile_values.back()); }));
        break;
      case 7:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 8:
        RETURN_IF_ERROR(Get(f.Uint32(), "flags", &out->flags));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

// Gauge, Sum, Histogram, ExponentialHistogram and Summary share one shape:
// data_points 1, then (where defined) aggregation_temporality 2 and
// is_monotonic 3.
template <typename Point, typename DecodePoint>
Status DecodeData(Reader& r, Metric* m, std::vector<Point>* points, DecodePoint decode_point) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(Grow(r, points));
        RETURN_IF_ERROR(Sub(r, f, "data_points", points->size() - 1,
                            [&](Reader& c) { return decode_point(c, &points->back()); }));
        break;
      case 2:
        if (m->type == Metric::Type::kSum || m->type == Metric::Type::kHistogram ||
            m->type == Metric::Type::kExponentialHistogram) {
          RETURN_IF_ERROR(Get(f.Int32(), "aggregation_temporality", &m->temporality));
        }
        break;
      case 3:
        if (m->type == Metric::Type::kSum) {
          RETURN_IF_ERROR(Get(f.Bool(), "is_monotonic", &m->is_monotonic));
        }
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

// Switches the metric's oneof to `type`. A repeat of the same member merges
// (protobuf semantics for a message field seen twice); another member
// replaces it.
void SetType(Metric* m, Metric::Type type) {
  if (m->type == type) return;
  m->type = type;
  m->temporality = AggregationTemporality::kUnspecified;
  m->is_monotonic = false;
  m->number_points.clear();
  m->histogram_points.clear();
  m->exponential_histogram_points.clear();
  m->summary_points.clear();
}

Status DecodeMetric(Reader& r, Metric* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(GetString(f, "name", &out->name));
        break;
      case 2:
        RETURN_IF_ERROR(GetString(f, "description", &out->description));
        break;
      case 3:
        RETURN_IF_ERROR(GetString(f, "unit", &out->unit));
        break;
      case 5:
        SetType(out, Metric::Type::kGauge);
        RETURN_IF_ERROR(Sub(r, f, "gauge", kNoIndex, [&](Reader& c) {
          return DecodeData(c, out, &out->number_points, DecodeNumberPoint);
        }));
        break;
      case 7:
        SetType(out, Metric::Type::kSum);
        RETURN_IF_ERROR(Sub(r, f, "sum", kNoIndex, [&](Reader& c) {
          return DecodeData(c, out, &out->number_points, DecodeNumberPoint);
        }));
        break;
      case 9:
        SetType(out, Metric::Type::kHistogram);
        RETURN_IF_ERROR(Sub(r, f, "histogram", kNoIndex, [&](Reader& c) {
          return DecodeData(c, out, &out->histogram_points, DecodeHistogramPoint);
        }));
        break;
      case 10:
        SetType(out, Metric::Type::kExponentialHistogram);
        RETURN_IF_ERROR(Sub(r, f, "exponential_histogram", kNoIndex, [&](Reader& c) {
          return DecodeData(c, out, &out->exponential_histogram_points, DecodeExponentialPoint);
        }));
        break;
      case 11:
        SetType(out, Metric::Type::kSummary);
        RETURN_IF_ERROR(Sub(r, f, "summary", kNoIndex, [&](Reader& c) {
          return DecodeData(c, out, &out->summary_points, DecodeSummaryPoint);
        }));
        break;
      case 12:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "metadata", &out->metadata));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status DecodeScopeMetrics(Reader& r, ScopeMetrics* out) {
  return DecodeGroup(r, out, &ScopeMetrics::scope, "scope", DecodeScope, &ScopeMetrics::metrics,
                     "metrics", DecodeMetric);
}

Status DecodeResourceMetrics(Reader& r, ResourceMetrics* out) {
  return DecodeGroup(r, out, &ResourceMetrics::resource, "resource", DecodeResource,
                     &ResourceMetrics::scope_metrics, "scope_metrics", DecodeScopeMetrics);
}

}  // namespace
}  // namespace internal

Result<ExportMetricsServiceRequest> DecodeMetrics(std::string_view protobuf) {
  return internal::DecodeRequest(protobuf, &ExportMetricsServiceRequest::resource_metrics,
                                 "resource_metrics", internal::DecodeResourceMetrics);
}

}  // namespace quartet::otlp
