#include "server/api/tempo/tempo_api.h"

#include <algorithm>
#include <set>

#include "base/hex.h"
#include "server/api/params.h"
#include "server/query/traceql/evaluate.h"
#include "server/query/traceql/parser.h"
#include "server/query/traceql/pruning.h"
#include "wire/json/json_writer.h"
#include "wire/otlp/encode_json.h"
#include "wire/otlp/encode_model.h"

namespace quartet::api {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using traceql::FieldCondition;
using traceql::Intrinsic;
using traceql::Op;
using traceql::Scope;

HttpResponse BadRequest(std::string_view message) {
  return HttpResponse::Text(400, std::string(message) + "\n");
}

// Turns the conditions a matching span must satisfy into the store's index
// hints. Only what the store can test exactly is passed; the evaluator
// re-checks everything anyway.
void AddSpanHints(const std::vector<FieldCondition>& conditions, store::TraceFilter* filter) {
  for (const FieldCondition& c : conditions) {
    const traceql::Value& v = c.literal;
    const bool eq_string = c.op == Op::kEq && v.type == traceql::Value::Type::kString;
    const bool number =
        v.type == traceql::Value::Type::kInt || v.type == traceql::Value::Type::kFloat;
    if (number && c.op != Op::kRegex && c.op != Op::kNotRegex &&
        (c.scope == Scope::kSpan || c.scope == Scope::kAny || c.scope == Scope::kResource)) {
      static_assert(static_cast<int>(store::NumericAttributeCondition::Op::kGte) ==
                    static_cast<int>(Op::kGte));  // the store's Op lists TraceQL's in order
      filter->numeric_attributes.push_back(
          {c.name, static_cast<store::NumericAttributeCondition::Op>(c.op), v.AsDouble()});
      continue;
    }
    switch (c.scope) {
      case Scope::kResource:
        if (eq_string && c.name == "service.name") {
          filter->service = v.s;
        } else if (eq_string) {
          filter->string_attributes.emplace_back(c.name, v.s);
        }
        break;
      case Scope::kSpan:
      case Scope::kAny:
        if (eq_string) filter->string_attributes.emplace_back(c.name, v.s);
        break;
      case Scope::kIntrinsic:
        if (c.intrinsic == Intrinsic::kName && eq_string) filter->span_name = v.s;
        if (c.intrinsic == Intrinsic::kDuration && v.is_numeric()) {
          const auto ns = static_cast<int64_t>(v.AsDouble());
          if (c.op == Op::kGt || c.op == Op::kGte) filter->min_span_duration_ns = ns;
          if (c.op == Op::kLt || c.op == Op::kLte) filter->max_span_duration_ns = ns;
        }
        if (c.intrinsic == Intrinsic::kStatus && c.op == Op::kEq &&
            v.type == traceql::Value::Type::kStatus &&
            v.i == static_cast<int64_t>(traceql::StatusLiteral::kError)) {
          filter->span_has_error = true;
        }
        break;
      case Scope::kTrace:
        if (c.intrinsic == Intrinsic::kTraceDuration && v.is_numeric()) {
          const auto ns = static_cast<int64_t>(v.AsDouble());
          if (c.op == Op::kGt || c.op == Op::kGte) filter->min_trace_duration_ns = ns;
          if (c.op == Op::kLt || c.op == Op::kLte) filter->max_trace_duration_ns = ns;
        }
        if (c.intrinsic == Intrinsic::kRootName && eq_string) filter->root_name = v.s;
        if (c.intrinsic == Intrinsic::kRootService && eq_string) filter->root_service = v.s;
        break;
      default:
        break;
    }
  }
}

// Tempo's `tags` parameter: logfmt pairs, `service.name=checkout
// http.status_code="500"`.
Result<std::vector<std::pair<std::string, std::string>>> ParseTags(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq == i) {
      return Status::InvalidArgument("invalid parameter \"tags\": expected key=value at \"" +
                                     std::string(text.substr(i)) + "\"");
    }
    std::string key(text.substr(i, eq - i));
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i++];
      }
      if (i >= text.size()) {
        return Status::InvalidArgument("invalid parameter \"tags\": unterminated quote");
      }
      ++i;
    } else {
      while (i < text.size() && text[i] != ' ') value += text[i++];
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

void AppendHexId(std::string* out, const uint8_t* bytes, size_t n) {
  char hex[32];
  HexEncode(bytes, n, hex);
  json::AppendString(out, std::string_view(hex, 2 * n));
}

// The attributes a query mentions, to show on each matched span.
std::set<std::string> MentionedAttributes(const traceql::PruningPlan& plan) {
  std::set<std::string> keys;
  for (const auto& f : plan.filters) {
    for (const FieldCondition& c : f.conditions) {
      if (c.scope == Scope::kSpan || c.scope == Scope::kAny || c.scope == Scope::kResource) {
        keys.insert(c.name);
      }
    }
  }
  return keys;
}

void AppendSpanSet(std::string* out, const std::vector<traceql::SpanRow>& rows,
                   const std::vector<uint32_t>& matched, size_t spss,
                   const std::set<std::string>& keys) {
  out->append("{\"spans\":[");
  for (size_t k = 0; k < matched.size() && k < spss; ++k) {
    const traceql::SpanRow& row = rows[matched[k]];
    if (k > 0) out->push_back(',');
    out->append("{\"spanID\":");
    AppendHexId(out, row.span->span_id.bytes.data(), 8);
    out->append(",\"name\":");
    json::AppendString(out, row.span->name);
    out->append(",\"startTimeUnixNano\":\"");
    json::AppendUint(out, row.span->start_time_unix_nano);
    out->append("\",\"durationNanos\":\"");
    json::AppendUint(out, row.span->end_time_unix_nano - row.span->start_time_unix_nano);
    out->append("\",\"attributes\":[");
    bool first = true;
    for (const std::string& key : keys) {
      const otlp::AnyValue* v = otlp::FindAttribute(row.span->attributes, key);
      if (v == nullptr && row.resource != nullptr) {
        v = otlp::FindAttribute(row.resource->attributes, key);
      }
      if (v == nullptr) continue;
      if (!first) out->push_back(',');
      first = false;
      out->append("{\"key\":");
      json::AppendString(out, key);
      out->append(",\"value\":");
      otlp::AppendAnyValueJson(out, *v);
      out->push_back('}');
    }
    out->append("]}");
  }
  out->append("],\"matched\":");
  json::AppendUint(out, matched.size());
  out->push_back('}');
}

constexpr std::string_view kIntrinsicTags[] = {
    "duration",           "event:name",       "kind",          "name",          "rootName",
    "rootServiceName",    "span:duration",    "span:kind",     "span:name",     "span:status",
    "span:statusMessage", "status",           "statusMessage", "traceDuration", "trace:duration",
    "trace:rootName",     "trace:rootService"};

}  // namespace

Result<TraceId> ParseTraceId(std::string_view hex) {
  if (hex.empty() || hex.size() > 32) {
    return Status::InvalidArgument("invalid trace id \"" + std::string(hex) +
                                   "\": want 1 to 32 hex digits");
  }
  std::string padded(32 - hex.size(), '0');
  padded += hex;
  TraceId id;
  if (!HexDecode(padded, id.bytes.data(), 16)) {
    return Status::InvalidArgument("invalid trace id \"" + std::string(hex) +
                                   "\": not hexadecimal");
  }
  if (!id.valid()) return Status::InvalidArgument("invalid trace id: all zero");
  return id;
}

TempoApi::TempoApi(store::TraceStore* traces) : traces_(traces) {}

void TempoApi::Register(server::Router* router) {
  router->Handle("GET", "/api/traces/:id", [this](const HttpRequest& r) { return TraceById(r); });
  router->Handle("GET", "/api/search", [this](const HttpRequest& r) { return Search(r); });
  router->Handle("GET", "/api/search/tags",
                 [this](const HttpRequest& r) { return SearchTags(r, false); });
  router->Handle("GET", "/api/v2/search/tags",
                 [this](const HttpRequest& r) { return SearchTags(r, true); });
  router->Handle("GET", "/api/search/tag/:tag/values",
                 [this](const HttpRequest& r) { return TagValues(r, false); });
  router->Handle("GET", "/api/v2/search/tag/:tag/values",
                 [this](const HttpRequest& r) { return TagValues(r, true); });
  router->Handle("GET", "/api/echo",
                 [](const HttpRequest&) { return HttpResponse::Text(200, "echo"); });
}

HttpResponse TempoApi::TraceById(const HttpRequest& request) {
  Result<TraceId> id = ParseTraceId(request.PathParam("id"));
  if (!id.ok()) return BadRequest(id.status().message());
  Result<otlp::ExportTraceServiceRequest> trace = traces_->GetTrace(*id);
  if (!trace.ok()) {
    if (trace.status().code() == StatusCode::kNotFound) {
      return HttpResponse::Text(404, "trace not found\n");
    }
    return HttpResponse::Text(500, std::string(trace.status().message()) + "\n");
  }
  if (request.Header("accept").find("application/protobuf") != std::string_view::npos) {
    // tempopb.Trace {repeated ResourceSpans batches = 1} has the wire shape of
    // ExportTraceServiceRequest.
    return HttpResponse::Bytes(200, "application/protobuf", otlp::EncodeTraces(*trace));
  }
  return HttpResponse::Json(200, otlp::EncodeTracesJson(*trace, otlp::JsonStyle::kTempo));
}

HttpResponse TempoApi::Search(const HttpRequest& request) {
  store::TraceFilter filter;
  Result<int64_t> start = TimeParam(request, "start", 0);
  Result<int64_t> end = TimeParam(request, "end", INT64_MAX);
  Result<int64_t> min_duration = DurationParam(request, "minDuration", -1);
  Result<int64_t> max_duration = DurationParam(request, "maxDuration", -1);
  Result<int64_t> limit = IntParam(request, "limit", 20);
  Result<int64_t> spss = IntParam(request, "spss", 3);
  for (const Result<int64_t>* r : {&start, &end, &min_duration, &max_duration, &limit, &spss}) {
    if (!r->ok()) return BadRequest(r->status().message());
  }
  filter.range = {*start, *end};
  if (*min_duration >= 0) filter.min_trace_duration_ns = *min_duration;
  if (*max_duration >= 0) filter.max_trace_duration_ns = *max_duration;
  const size_t max_results = *limit == 0 ? 20 : static_cast<size_t>(*limit);

  // The query: TraceQL in q, else the tags (each one an equality that a
  // span of the trace must satisfy, Tempo's legacy search), else `{ }`.
  std::string text = request.Param("q").value_or("");
  if (text.empty()) {
    Result<std::vector<std::pair<std::string, std::string>>> tags =
        ParseTags(request.Param("tags").value_or(""));
    if (!tags.ok()) return BadRequest(tags.status().message());
    text = "{";
    for (size_t i = 0; i < tags->size(); ++i) {
      const auto& [key, value] = (*tags)[i];
      if (i > 0) text += " &&";
      const bool intrinsic = key == "name" || key == "status";
      text += " " + (intrinsic ? key : "." + key) + " = ";
      if (key == "status") {
        text += value;
      } else {
        text += "\"";
        for (char c : value) {
          if (c == '"' || c == '\\') text += '\\';
          text += c;
        }
        text += "\"";
      }
    }
    text += " }";
  }
  Result<traceql::Query> query = traceql::Parse(text);
  if (!query.ok()) return BadRequest(query.status().message());
  // Every filter the trace must have a span for narrows the store's search:
  // the first one's conditions, the others' as further required spans.
  const traceql::PruningPlan plan = traceql::PlanPruning(*query);
  bool first = true;
  for (const auto& clause : plan.required_any_of) {
    if (clause.size() != 1 || plan.filters[clause[0]].conditions.empty()) continue;
    if (first) {
      AddSpanHints(plan.filters[clause[0]].conditions, &filter);
      first = false;
    } else {
      store::TraceFilter other;
      AddSpanHints(plan.filters[clause[0]].conditions, &other);
      if (other.HasSpanConditions()) filter.other_spans.push_back(std::move(other));
    }
  }
  const std::set<std::string> keys = MentionedAttributes(plan);

  std::string out = "{\"traces\":[";
  size_t found = 0;
  int64_t inspected = 0;
  Status searched = traces_->SearchTraces(filter, [&](const store::TraceCandidate& candidate) {
    ++inspected;
    std::vector<traceql::SpanRow> rows;
    for (const auto& rs : candidate.spans->resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        for (const otlp::Span& span : ss.spans) rows.push_back({&span, &rs.resource, &ss.scope});
      }
    }
    const store::TraceSummary& s = *candidate.summary;
    const traceql::TraceFacts facts{s.duration_ns(), s.root_name, s.root_service};
    traceql::TraceMatch match = traceql::Evaluate(*query, rows, facts);
    if (!match.matched) return true;
    if (found > 0) out.push_back(',');
    out.append("{\"traceID\":");
    AppendHexId(&out, s.trace_id.bytes.data(), 16);
    out.append(",\"rootServiceName\":");
    json::AppendString(&out,
                       s.root_service.empty() ? "<root span not yet received>" : s.root_service);
    out.append(",\"rootTraceName\":");
    json::AppendString(&out, s.root_name);
    out.append(",\"startTimeUnixNano\":\"");
    json::AppendInt(&out, s.start_ns);
    out.append("\",\"durationMs\":");
    json::AppendInt(&out, s.duration_ns() / 1'000'000);
    out.append(",\"spanSet\":");
    AppendSpanSet(&out, rows, match.spans, static_cast<size_t>(*spss), keys);
    out.append(",\"spanSets\":[");
    AppendSpanSet(&out, rows, match.spans, static_cast<size_t>(*spss), keys);
    out.append("]}");
    return ++found < max_results;
  });
  if (!searched.ok()) return HttpResponse::Text(500, std::string(searched.message()) + "\n");
  out.append("],\"metrics\":{\"inspectedTraces\":");
  json::AppendInt(&out, inspected);
  out.append(",\"completedJobs\":1,\"totalJobs\":1}}");
  return HttpResponse::Json(200, std::move(out));
}

HttpResponse TempoApi::SearchTags(const HttpRequest& request, bool v2) {
  Result<int64_t> start = TimeParam(request, "start", 0);
  Result<int64_t> end = TimeParam(request, "end", INT64_MAX);
  if (!start.ok()) return BadRequest(start.status().message());
  if (!end.ok()) return BadRequest(end.status().message());
  const store::TimeRange range{*start, *end};
  std::string scope = request.Param("scope").value_or("");
  if (!v2) {
    Result<std::vector<std::string>> names = traces_->TagNames("", range);
    if (!names.ok()) return HttpResponse::Text(500, std::string(names.status().message()));
    std::string out = "{\"tagNames\":[";
    for (size_t i = 0; i < names->size(); ++i) {
      if (i > 0) out.push_back(',');
      json::AppendString(&out, (*names)[i]);
    }
    return HttpResponse::Json(200, out + "]}");
  }
  std::string out = "{\"scopes\":[";
  bool first = true;
  for (std::string_view s : {"resource", "span"}) {
    if (!scope.empty() && scope != "all" && scope != s) continue;
    Result<std::vector<std::string>> names = traces_->TagNames(s, range);
    if (!names.ok()) return HttpResponse::Text(500, std::string(names.status().message()));
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"name\":");
    json::AppendString(&out, s);
    out.append(",\"tags\":[");
    for (size_t i = 0; i < names->size(); ++i) {
      if (i > 0) out.push_back(',');
      json::AppendString(&out, (*names)[i]);
    }
    out.append("]}");
  }
  if (scope.empty() || scope == "all" || scope == "intrinsic") {
    if (!first) out.push_back(',');
    out.append("{\"name\":\"intrinsic\",\"tags\":[");
    for (size_t i = 0; i < std::size(kIntrinsicTags); ++i) {
      if (i > 0) out.push_back(',');
      json::AppendString(&out, kIntrinsicTags[i]);
    }
    out.append("]}");
  }
  return HttpResponse::Json(200, out + "]}");
}

HttpResponse TempoApi::TagValues(const HttpRequest& request, bool v2) {
  Result<int64_t> start = TimeParam(request, "start", 0);
  Result<int64_t> end = TimeParam(request, "end", INT64_MAX);
  Result<int64_t> limit = IntParam(request, "limit", 1000);
  for (const Result<int64_t>* r : {&start, &end, &limit}) {
    if (!r->ok()) return BadRequest(r->status().message());
  }
  std::string tag(request.PathParam("tag"));
  std::string scope;
  std::vector<std::string> keywords;  // values of enum-like intrinsics
  if (tag == "status") {
    keywords = {"error", "ok", "unset"};
  } else if (tag == "kind") {
    keywords = {"client", "consumer", "internal", "producer", "server", "unspecified"};
  } else if (tag.rfind("span.", 0) == 0) {
    scope = "span";
    tag = tag.substr(5);
  } else if (tag.rfind("resource.", 0) == 0) {
    scope = "resource";
    tag = tag.substr(9);
  } else if (!tag.empty() && tag[0] == '.') {
    tag = tag.substr(1);
  }
  std::vector<std::string> values = keywords;
  if (keywords.empty()) {
    Result<std::vector<std::string>> found =
        traces_->TagValues(scope, tag, {*start, *end}, static_cast<size_t>(*limit));
    if (!found.ok()) return HttpResponse::Text(500, std::string(found.status().message()));
    values = std::move(*found);
  }
  std::string out = "{\"tagValues\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (v2) {
      out.append(keywords.empty() ? "{\"type\":\"string\",\"value\":"
                                  : "{\"type\":\"keyword\","
                                    "\"value\":");
      json::AppendString(&out, values[i]);
      out.push_back('}');
    } else {
      json::AppendString(&out, values[i]);
    }
  }
  return HttpResponse::Json(200, out + "]}");
}

}  // namespace quartet::api
