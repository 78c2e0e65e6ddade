#include "server/api/pyroscope/pyroscope_api.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/hex.h"
#include "server/api/params.h"
#include "server/api/pyroscope/query_params.h"
#include "server/query/profiles/flame_tree.h"
#include "server/query/profiles/flamebearer.h"
#include "server/query/profiles/function_stats.h"
#include "server/query/profiles/pprof_export.h"
#include "server/query/profiles/profile_query.h"
#include "wire/json/json_writer.h"

namespace quartet::api {

using server::HttpRequest;
using server::HttpResponse;

namespace {

HttpResponse BadRequest(std::string_view message) {
  return HttpResponse::Text(400, std::string(message));
}

HttpResponse StoreError(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      return BadRequest(st.message());
    case StatusCode::kNotFound:
      return HttpResponse::Text(404, std::string(st.message()));
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      return HttpResponse::Text(503, std::string(st.message()));
    default:
      return HttpResponse::Text(500, std::string(st.message()));
  }
}

// A bad parameter is the caller's (400); anything else from the store is not.
HttpResponse Error(const Status& st) { return StoreError(st); }

struct Window {
  int64_t from = 0;
  int64_t until = 0;
};

Result<Window> WindowParams(const HttpRequest& r, std::string_view from_name,
                            std::string_view until_name, const PyroscopeApiOptions& options) {
  const int64_t now = UnixNanos();
  Window w;
  w.until = now;
  if (std::optional<std::string> v = r.Param(until_name); v && !v->empty()) {
    Result<int64_t> t = ParsePyroscopeTime(*v, now);
    if (!t.ok()) {
      return Status::InvalidArgument("invalid parameter \"" + std::string(until_name) +
                                     "\": " + std::string(t.status().message()));
    }
    w.until = *t;
  }
  w.from = w.until - options.default_range_ns;
  if (std::optional<std::string> v = r.Param(from_name); v && !v->empty()) {
    Result<int64_t> t = ParsePyroscopeTime(*v, now);
    if (!t.ok()) {
      return Status::InvalidArgument("invalid parameter \"" + std::string(from_name) +
                                     "\": " + std::string(t.status().message()));
    }
    w.from = *t;
  }
  // Nothing is stored before 1970 ("now-100y"); pprof times are unsigned.
  w.from = std::max<int64_t>(w.from, 0);
  if (w.from >= w.until) {
    return Status::InvalidArgument("invalid parameters \"" + std::string(from_name) + "\", \"" +
                                   std::string(until_name) + "\": " + std::string(from_name) +
                                   " must be before " + std::string(until_name));
  }
  return w;
}

struct ParsedSelection {
  profiles::Selection selection;
  Window window;
};

Result<ParsedSelection> SelectionParams(const HttpRequest& r, std::string_view query_name,
                                        std::string_view from_name, std::string_view until_name,
                                        const PyroscopeApiOptions& options) {
  std::optional<std::string> text = r.Param(query_name);
  if (!text || text->empty()) {
    return Status::InvalidArgument("missing parameter \"" + std::string(query_name) +
                                   "\": want <profile type>{<label matchers>}");
  }
  Result<ProfileQuery> q = ParseProfileQuery(*text);
  if (!q.ok()) {
    return Status::InvalidArgument("invalid parameter \"" + std::string(query_name) +
                                   "\": " + std::string(q.status().message()));
  }
  ASSIGN_OR_RETURN(Window w, WindowParams(r, from_name, until_name, options));
  ParsedSelection out;
  out.selection.type = std::move(q->type);
  out.selection.matchers = std::move(q->matchers);
  out.selection.range = {w.from, w.until};
  out.window = w;
  return out;
}

// Optional selector for label and type listings: matchers only, the type
// (if any) ignored.
Result<std::vector<store::LabelMatch>> MatcherParam(const HttpRequest& r) {
  std::optional<std::string> text = r.Param("query");
  if (!text || text->empty()) return std::vector<store::LabelMatch>{};
  Result<ProfileQuery> q = ParseProfileQuery(*text, false);
  if (!q.ok()) {
    return Status::InvalidArgument("invalid parameter \"query\": " +
                                   std::string(q.status().message()));
  }
  return std::move(q->matchers);
}

Result<int64_t> MaxNodesParam(const HttpRequest& r, int64_t fallback) {
  // Pyroscope's UI spells it max-nodes in some versions.
  if (!r.Param("maxNodes") && r.Param("max-nodes")) return IntParam(r, "max-nodes", fallback);
  return IntParam(r, "maxNodes", fallback);
}

void AppendMetadata(std::string* out, const profiles::ProfileType& type, std::string_view format) {
  out->append("\"metadata\":{\"format\":");
  json::AppendString(out, format);
  out->append(",\"sampleRate\":");
  json::AppendInt(out, type.SampleRate());
  out->append(",\"units\":");
  json::AppendString(out, type.Units());
  out->append(",\"spyName\":\"\",\"name\":");
  json::AppendString(out, type.Id());
  out->push_back('}');
}

void AppendStringArray(std::string* out, const std::vector<std::string>& values) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out->push_back(',');
    json::AppendString(out, values[i]);
  }
  out->push_back(']');
}

// The two selections of a diff; both must be of one profile type.
Result<std::pair<ParsedSelection, ParsedSelection>> DiffParams(const HttpRequest& r,
                                                               const PyroscopeApiOptions& o) {
  ASSIGN_OR_RETURN(ParsedSelection left,
                   SelectionParams(r, "leftQuery", "leftFrom", "leftUntil", o));
  ASSIGN_OR_RETURN(ParsedSelection right,
                   SelectionParams(r, "rightQuery", "rightFrom", "rightUntil", o));
  if (left.selection.type.Id() != right.selection.type.Id()) {
    return Status::InvalidArgument("leftQuery and rightQuery select different profile types (" +
                                   left.selection.type.Id() + ", " + right.selection.type.Id() +
                                   ")");
  }
  return std::pair(std::move(left), std::move(right));
}

}  // namespace

PyroscopeApi::PyroscopeApi(store::ProfileStore* profiles, store::TraceStore* traces,
                           PyroscopeApiOptions options)
    : profiles_(profiles), traces_(traces), options_(options) {}

void PyroscopeApi::Register(server::Router* router) {
  router->Handle("GET", "/pyroscope/render", [this](const HttpRequest& r) { return Render(r); });
  router->Handle("GET", "/pyroscope/render-diff",
                 [this](const HttpRequest& r) { return RenderDiff(r); });
  router->Handle("GET", "/pyroscope/top", [this](const HttpRequest& r) { return Top(r); });
  router->Handle("GET", "/pyroscope/diff-functions",
                 [this](const HttpRequest& r) { return DiffFunctions(r); });
  router->Handle("GET", "/pyroscope/labels",
                 [this](const HttpRequest& r) { return LabelNames(r); });
  router->Handle("GET", "/pyroscope/label-names",
                 [this](const HttpRequest& r) { return LabelNames(r); });
  router->Handle("GET", "/pyroscope/label-values",
                 [this](const HttpRequest& r) { return LabelValues(r); });
  router->Handle("GET", "/pyroscope/profile-types",
                 [this](const HttpRequest& r) { return ProfileTypes(r); });
}

HttpResponse PyroscopeApi::Render(const HttpRequest& request) {
  Result<ParsedSelection> parsed = SelectionParams(request, "query", "from", "until", options_);
  if (!parsed.ok()) return Error(parsed.status());
  profiles::Selection& sel = parsed->selection;
  Result<std::vector<std::string>> spans = SpanIdParams(request);
  if (!spans.ok()) return Error(spans.status());
  if (std::optional<std::string> trace = request.Param("trace_id"); trace && !trace->empty()) {
    TraceId id;
    if (trace->size() != 32 || !HexDecode(*trace, id.bytes.data(), id.bytes.size())) {
      return BadRequest("invalid parameter \"trace_id\": \"" + *trace +
                        "\" is not a 32-hex-digit trace id");
    }
    if (traces_ == nullptr) return BadRequest("trace_id: this server keeps no traces");
    Result<otlp::ExportTraceServiceRequest> t = traces_->GetTrace(id);
    if (!t.ok()) return Error(t.status());
    for (const otlp::ResourceSpans& rs : t->resource_spans) {
      for (const otlp::ScopeSpans& ss : rs.scope_spans) {
        for (const otlp::Span& s : ss.spans) spans->push_back(s.span_id.ToHex());
      }
    }
  }
  if (!spans->empty() || request.Param("trace_id")) sel.filter = {"span_id", std::move(*spans)};
  Result<int64_t> max_nodes = MaxNodesParam(request, options_.default_max_nodes);
  if (!max_nodes.ok()) return Error(max_nodes.status());
  std::string format = request.Param("format").value_or("json");
  if (format != "json" && format != "pprof" && format != "folded") {
    return BadRequest("invalid parameter \"format\": \"" + format +
                      "\" (want json, pprof or folded)");
  }

  profiles::Timeline timeline =
      profiles::Timeline::Make(parsed->window.from, parsed->window.until, 0);
  Result<profiles::MergeResult> merged = profiles::MergeSelection(profiles_, sel, &timeline);
  if (!merged.ok()) return Error(merged.status());

  if (format == "pprof") {
    pprof::Profile p = profiles::ToPprof(merged->stacks, sel.type, parsed->window.from,
                                         parsed->window.until - parsed->window.from);
    Result<std::string> gz = pprof::EncodeGzip(p);
    if (!gz.ok()) return Error(gz.status());
    HttpResponse res = HttpResponse::Bytes(200, "application/octet-stream", std::move(*gz));
    res.headers.push_back({"Content-Disposition", "attachment; filename=\"profile.pb.gz\""});
    return res;
  }
  if (format == "folded") {
    std::string body;
    const profiles::MergedStacks& m = merged->stacks;
    for (const profiles::MergedStacks::Stack& s : m.stacks) {
      std::span<const uint32_t> frames = m.FramesOf(s);
      for (size_t i = 0; i < frames.size(); ++i) {
        if (i) body.push_back(';');
        body += m.names[frames[i]];
      }
      body.push_back(' ');
      body += std::to_string(s.value);
      body.push_back('\n');
    }
    return HttpResponse::Text(200, std::move(body));
  }

  profiles::Flamebearer fb =
      profiles::ToFlamebearer(profiles::FlameTree::Build(merged->stacks), *max_nodes);
  std::string body = "{\"flamebearer\":";
  profiles::AppendFlamebearerJson(&body, fb);
  body.push_back(',');
  AppendMetadata(&body, sel.type, "single");
  body.append(",\"timeline\":");
  profiles::AppendTimelineJson(&body, timeline);
  body.push_back('}');
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse PyroscopeApi::RenderDiff(const HttpRequest& request) {
  auto params = DiffParams(request, options_);
  if (!params.ok()) return Error(params.status());
  auto& [left, right] = *params;
  Result<int64_t> max_nodes = MaxNodesParam(request, options_.default_max_nodes);
  if (!max_nodes.ok()) return Error(max_nodes.status());
  profiles::Timeline left_tl = profiles::Timeline::Make(left.window.from, left.window.until, 0);
  profiles::Timeline right_tl = profiles::Timeline::Make(right.window.from, right.window.until, 0);
  Result<profiles::MergeResult> l = profiles::MergeSelection(profiles_, left.selection, &left_tl);
  if (!l.ok()) return Error(l.status());
  Result<profiles::MergeResult> r = profiles::MergeSelection(profiles_, right.selection, &right_tl);
  if (!r.ok()) return Error(r.status());

  profiles::Flamebearer fb =
      profiles::ToFlamebearer(profiles::FlameTree::BuildDiff(l->stacks, r->stacks), *max_nodes);
  std::string body = "{\"flamebearer\":";
  profiles::AppendFlamebearerJson(&body, fb);
  body.push_back(',');
  AppendMetadata(&body, right.selection.type, "double");
  body.append(",\"leftTicks\":");
  json::AppendInt(&body, fb.left_ticks);
  body.append(",\"rightTicks\":");
  json::AppendInt(&body, fb.right_ticks);
  body.append(",\"timeline\":");
  profiles::AppendTimelineJson(&body, right_tl);
  body.append(",\"leftTimeline\":");
  profiles::AppendTimelineJson(&body, left_tl);
  body.append(",\"rightTimeline\":");
  profiles::AppendTimelineJson(&body, right_tl);
  body.push_back('}');
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse PyroscopeApi::Top(const HttpRequest& request) {
  Result<ParsedSelection> parsed = SelectionParams(request, "query", "from", "until", options_);
  if (!parsed.ok()) return Error(parsed.status());
  Result<std::vector<std::string>> spans = SpanIdParams(request);
  if (!spans.ok()) return Error(spans.status());
  if (!spans->empty()) parsed->selection.filter = {"span_id", std::move(*spans)};
  Result<int64_t> limit = IntParam(request, "limit", 100);
  if (!limit.ok()) return Error(limit.status());
  std::string order = request.Param("order").value_or("self");
  if (order != "self" && order != "total") {
    return BadRequest("invalid parameter \"order\": \"" + order + "\" (want self or total)");
  }
  Result<profiles::MergeResult> merged =
      profiles::MergeSelection(profiles_, parsed->selection, nullptr);
  if (!merged.ok()) return Error(merged.status());
  std::vector<profiles::FunctionStat> top = profiles::TopFunctions(
      merged->stacks, order == "self" ? profiles::TopOrder::kSelf : profiles::TopOrder::kTotal,
      static_cast<size_t>(*limit));
  const profiles::ProfileType& type = parsed->selection.type;
  std::string body = "{\"profileType\":";
  json::AppendString(&body, type.Id());
  body.append(",\"units\":");
  json::AppendString(&body, type.Units());
  body.append(",\"sampleRate\":");
  json::AppendInt(&body, type.SampleRate());
  body.append(",\"numTicks\":");
  json::AppendInt(&body, merged->stacks.total);
  body.append(",\"functions\":[");
  for (size_t i = 0; i < top.size(); ++i) {
    if (i) body.push_back(',');
    body.append("{\"name\":");
    json::AppendString(&body, top[i].name);
    body.append(",\"self\":");
    json::AppendInt(&body, top[i].self);
    body.append(",\"total\":");
    json::AppendInt(&body, top[i].total);
    body.push_back('}');
  }
  body.append("]}");
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse PyroscopeApi::DiffFunctions(const HttpRequest& request) {
  auto params = DiffParams(request, options_);
  if (!params.ok()) return Error(params.status());
  auto& [left, right] = *params;
  Result<int64_t> limit = IntParam(request, "limit", 100);
  if (!limit.ok()) return Error(limit.status());
  Result<profiles::MergeResult> l = profiles::MergeSelection(profiles_, left.selection, nullptr);
  if (!l.ok()) return Error(l.status());
  Result<profiles::MergeResult> r = profiles::MergeSelection(profiles_, right.selection, nullptr);
  if (!r.ok()) return Error(r.status());
  std::vector<profiles::FunctionDiff> diff =
      profiles::DiffFunctions(l->stacks, r->stacks, static_cast<size_t>(*limit));
  std::string body = "{\"profileType\":";
  json::AppendString(&body, right.selection.type.Id());
  body.append(",\"leftTicks\":");
  json::AppendInt(&body, l->stacks.total);
  body.append(",\"rightTicks\":");
  json::AppendInt(&body, r->stacks.total);
  body.append(",\"functions\":[");
  for (size_t i = 0; i < diff.size(); ++i) {
    const profiles::FunctionDiff& d = diff[i];
    if (i) body.push_back(',');
    body.append("{\"name\":");
    json::AppendString(&body, d.name);
    auto num = [&](const char* key, auto v) {
      body.append(",\"");
      body.append(key);
      body.append("\":");
      if constexpr (std::is_same_v<decltype(v), double>) {
        json::AppendDouble(&body, v);
      } else {
        json::AppendInt(&body, v);
      }
    };
    num("leftSelf", d.left_self);
    num("leftTotal", d.left_total);
    num("rightSelf", d.right_self);
    num("rightTotal", d.right_total);
    num("leftSelfShare", d.left_self_share);
    num("rightSelfShare", d.right_self_share);
    num("selfShareChange", d.self_share_change);
    num("leftTotalShare", d.left_total_share);
    num("rightTotalShare", d.right_total_share);
    num("totalShareChange", d.total_share_change);
    body.push_back('}');
  }
  body.append("]}");
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse PyroscopeApi::LabelNames(const HttpRequest& request) {
  Result<std::vector<store::LabelMatch>> matchers = MatcherParam(request);
  if (!matchers.ok()) return Error(matchers.status());
  Result<Window> w = WindowParams(request, "from", "until", options_);
  if (!w.ok()) return Error(w.status());
  Result<std::vector<std::string>> names =
      profiles_->ProfileLabelNames(*matchers, {w->from, w->until});
  if (!names.ok()) return Error(names.status());
  std::string body;
  AppendStringArray(&body, *names);
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse PyroscopeApi::LabelValues(const HttpRequest& request) {
  std::optional<std::string> label = request.Param("label");
  if (!label || label->empty()) label = request.Param("name");
  if (!label || label->empty()) return BadRequest("missing parameter \"label\"");
  Result<std::vector<store::LabelMatch>> matchers = MatcherParam(request);
  if (!matchers.ok()) return Error(matchers.status());
  Result<Window> w = WindowParams(request, "from", "until", options_);
  if (!w.ok()) return Error(w.status());
  Result<std::vector<std::string>> values =
      profiles_->ProfileLabelValues(*label, *matchers, {w->from, w->until});
  if (!values.ok()) return Error(values.status());
  std::string body;
  AppendStringArray(&body, *values);
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse PyroscopeApi::ProfileTypes(const HttpRequest& request) {
  Result<std::vector<store::LabelMatch>> matchers = MatcherParam(request);
  if (!matchers.ok()) return Error(matchers.status());
  Result<Window> w = WindowParams(request, "from", "until", options_);
  if (!w.ok()) return Error(w.status());
  Result<std::vector<std::string>> types = profiles_->ProfileTypes(*matchers, {w->from, w->until});
  if (!types.ok()) return Error(types.status());
  // Pyroscope's querier.v1 ProfileTypes JSON.
  std::string body = "{\"profileTypes\":[";
  for (size_t i = 0; i < types->size(); ++i) {
    const std::string& id = (*types)[i];
    if (i) body.push_back(',');
    body.append("{\"ID\":");
    json::AppendString(&body, id);
    Result<profiles::ProfileType> t = profiles::ParseProfileType(id);
    if (t.ok()) {
      const std::pair<const char*, const std::string*> fields[] = {{"name", &t->name},
                                                                   {"sampleType", &t->sample_type},
                                                                   {"sampleUnit", &t->sample_unit},
                                                                   {"periodType", &t->period_type},
                                                                   {"periodUnit", &t->period_unit}};
      for (const auto& [key, value] : fields) {
        body.append(",\"");
        body.append(key);
        body.append("\":");
        json::AppendString(&body, *value);
      }
    }
    body.push_back('}');
  }
  body.append("]}");
  return HttpResponse::Json(200, std::move(body));
}

}  // namespace quartet::api
