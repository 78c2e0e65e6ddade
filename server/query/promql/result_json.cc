#include "server/query/promql/result_json.h"

#include <cstdio>

#include "server/query/promql/format.h"
#include "wire/json/json_writer.h"

namespace quartet::promql {
namespace {

void AppendTime(std::string* out, int64_t ms) {
  // Prometheus writes seconds with up to three decimals, trailing zeros cut.
  bool neg = ms < 0;
  uint64_t abs = neg ? static_cast<uint64_t>(-(ms + 1)) + 1 : static_cast<uint64_t>(ms);
  if (neg) out->push_back('-');
  out->append(std::to_string(abs / 1000));
  uint64_t frac = abs % 1000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03u", static_cast<unsigned>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out->append(f);
  }
}

void AppendPoint(std::string* out, int64_t ms, double v) {
  out->push_back('[');
  AppendTime(out, ms);
  out->push_back(',');
  json::AppendString(out, FormatFloat(v));
  out->push_back(']');
}

void AppendMetric(std::string* out, const Labels& labels) {
  out->append("\"metric\":{");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, labels[i].name);
    out->push_back(':');
    json::AppendString(out, labels[i].value);
  }
  out->push_back('}');
}

}  // namespace

std::string RenderDataJson(const QueryResult& r) {
  std::string out = "{\"resultType\":";
  json::AppendString(&out, ApiType(r.type));
  out.append(",\"result\":");
  switch (r.type) {
    case ValueType::kScalar:
      AppendPoint(&out, r.t_ms, r.scalar);
      break;
    case ValueType::kString:
      out.push_back('[');
      AppendTime(&out, r.t_ms);
      out.push_back(',');
      json::AppendString(&out, r.str);
      out.push_back(']');
      break;
    case ValueType::kVector:
      out.push_back('[');
      for (size_t i = 0; i < r.vector.size(); ++i) {
        if (i > 0) out.push_back(',');
        out.push_back('{');
        AppendMetric(&out, r.vector[i].labels);
        out.append(",\"value\":");
        AppendPoint(&out, r.t_ms, r.vector[i].v);
        out.push_back('}');
      }
      out.push_back(']');
      break;
    case ValueType::kMatrix:
      out.push_back('[');
      for (size_t i = 0; i < r.matrix.size(); ++i) {
        if (i > 0) out.push_back(',');
        out.push_back('{');
        AppendMetric(&out, r.matrix[i].labels);
        out.append(",\"values\":[");
        for (size_t j = 0; j < r.matrix[i].points.size(); ++j) {
          if (j > 0) out.push_back(',');
          AppendPoint(&out, r.matrix[i].points[j].t, r.matrix[i].points[j].v);
        }
        out.append("]}");
      }
      out.push_back(']');
      break;
    case ValueType::kNone:
      out.append("null");
      break;
  }
  out.push_back('}');
  return out;
}

std::string RenderSuccessJson(const QueryResult& r) {
  return "{\"status\":\"success\",\"data\":" + RenderDataJson(r) + "}";
}

std::string RenderErrorJson(std::string_view error_type, std::string_view message) {
  std::string out = "{\"status\":\"error\",\"errorType\":";
  json::AppendString(&out, error_type);
  out.append(",\"error\":");
  json::AppendString(&out, message);
  out.push_back('}');
  return out;
}

std::string RenderErrorJson(const Status& status) {
  return RenderErrorJson(ErrorType(status), status.message());
}

}  // namespace quartet::promql
