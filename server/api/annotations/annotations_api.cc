#include "server/api/annotations/annotations_api.h"

#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "server/api/params.h"
#include "wire/json/json_parser.h"
#include "wire/json/json_value.h"
#include "wire/json/json_writer.h"

namespace quartet::api {
namespace {

using server::HttpRequest;
using server::HttpResponse;

// The fields a request body may carry; absent (or null) fields are unset.
struct Fields {
  std::optional<int64_t> time_ms;
  std::optional<int64_t> time_end_ms;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> text;
  std::optional<std::string> dashboard_uid;
  std::optional<int64_t> dashboard_id;
  std::optional<int64_t> panel_id;
  std::optional<std::string> data_json;
};

Result<std::optional<int64_t>> IntField(const json::Value& doc, std::string_view key,
                                        bool non_negative) {
  const json::Value* v = doc.Find(key);
  if (v == nullptr || v->is_null()) return std::optional<int64_t>();
  if (!v->is_number() || !v->int_value()) {
    return Status::InvalidArgument(std::string(key) + " must be an integer" +
                                   (key.starts_with("time") ? " (unix milliseconds)" : ""));
  }
  if (non_negative && *v->int_value() < 0) {
    return Status::InvalidArgument(std::string(key) + " must not be negative");
  }
  return std::optional<int64_t>(*v->int_value());
}

Result<std::optional<std::string>> StringField(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.Find(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
  return std::optional<std::string>(v->string_value());
}

Result<Fields> ParseBody(std::string_view body, const AnnotationLimits& limits) {
  Result<json::Value> parsed = json::Parse(body, {.max_bytes = 1 << 20, .max_depth = 32});
  if (!parsed.ok()) return Status::InvalidArgument("bad JSON body: " + parsed.status().ToString());
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return Status::InvalidArgument("body must be a JSON object");
  Fields f;
  ASSIGN_OR_RETURN(f.time_ms, IntField(doc, "time", true));
  ASSIGN_OR_RETURN(f.time_end_ms, IntField(doc, "timeEnd", true));
  ASSIGN_OR_RETURN(f.dashboard_id, IntField(doc, "dashboardId", false));
  ASSIGN_OR_RETURN(f.panel_id, IntField(doc, "panelId", false));
  ASSIGN_OR_RETURN(f.dashboard_uid, StringField(doc, "dashboardUID"));
  ASSIGN_OR_RETURN(f.text, StringField(doc, "text"));
  if (f.text && f.text->size() > limits.max_text_bytes) {
    return Status::InvalidArgument("text is " + std::to_string(f.text->size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(limits.max_text_bytes));
  }
  if (const json::Value* tags = doc.Find("tags"); tags != nullptr && !tags->is_null()) {
    if (!tags->is_array()) return Status::InvalidArgument("tags must be an array of strings");
    if (tags->items().size() > limits.max_tags) {
      return Status::InvalidArgument("too many tags: " + std::to_string(tags->items().size()) +
                                     ", the limit is " + std::to_string(limits.max_tags));
    }
    f.tags.emplace();
    for (size_t i = 0; i < tags->items().size(); ++i) {
      const json::Value& tag = tags->items()[i];
      const std::string name = "tags[" + std::to_string(i) + "]";
      if (!tag.is_string()) return Status::InvalidArgument(name + " must be a string");
      if (tag.string_value().empty()) return Status::InvalidArgument(name + " is empty");
      if (tag.string_value().size() > limits.max_tag_bytes) {
        return Status::InvalidArgument(name + " is " + std::to_string(tag.string_value().size()) +
                                       " bytes, over the limit of " +
                                       std::to_string(limits.max_tag_bytes));
      }
      f.tags->push_back(tag.string_value());
    }
  }
  if (const json::Value* data = doc.Find("data"); data != nullptr && !data->is_null()) {
    if (!data->is_object()) return Status::InvalidArgument("data must be a JSON object");
    f.data_json = json::Serialize(*data);
    if (f.data_json->size() > limits.max_data_bytes) {
      return Status::InvalidArgument("data is " + std::to_string(f.data_json->size()) +
                                     " bytes, over the limit of " +
                                     std::to_string(limits.max_data_bytes));
    }
  }
  return f;
}

void AppendAnnotation(std::string* out, const store::Annotation& a) {
  auto field = [out](std::string_view name) {
    out->push_back(',');
    json::AppendString(out, name);
    out->push_back(':');
  };
  *out += "{\"id\":";
  json::AppendInt(out, a.id);
  // Alert annotations are Grafana's own; quartetd's alerts do not make them.
  *out += ",\"alertId\":0,\"alertName\":\"\"";
  field("dashboardId");
  json::AppendInt(out, a.dashboard_id);
  field("dashboardUID");
  json::AppendString(out, a.dashboard_uid);
  field("panelId");
  json::AppendInt(out, a.panel_id);
  *out += ",\"userId\":0,\"newState\":\"\",\"prevState\":\"\"";
  field("created");
  json::AppendInt(out, a.created_ms);
  field("updated");
  json::AppendInt(out, a.updated_ms);
  field("time");
  json::AppendInt(out, a.time_ms);
  field("timeEnd");
  json::AppendInt(out, a.time_end_ms);
  field("text");
  json::AppendString(out, a.text);
  field("tags");
  out->push_back('[');
  for (size_t i = 0; i < a.tags.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, a.tags[i]);
  }
  out->push_back(']');
  *out += ",\"login\":\"\",\"email\":\"\",\"avatarUrl\":\"\"";
  field("data");
  *out += a.data_json.empty() ? "{}" : a.data_json;
  out->push_back('}');
}

HttpResponse Message(int status, std::string_view message) {
  std::string body = "{\"message\":";
  json::AppendString(&body, message);
  body += '}';
  return HttpResponse::Json(status, std::move(body));
}

}  // namespace

AnnotationsApi::AnnotationsApi(store::AnnotationStore* store, AnnotationLimits limits)
    : store_(store), limits_(limits) {}

void AnnotationsApi::Register(server::Router* router) {
  router->Handle("POST", "/api/annotations", [this](const HttpRequest& r) { return Create(r); });
  router->Handle("GET", "/api/annotations", [this](const HttpRequest& r) { return Find(r); });
  router->Handle("GET", "/api/annotations/tags", [this](const HttpRequest& r) { return Tags(r); });
  router->Handle("GET", "/api/annotations/:id", [this](const HttpRequest& r) { return Get(r); });
  router->Handle("PATCH", "/api/annotations/:id",
                 [this](const HttpRequest& r) { return Update(r, /*replace=*/false); });
  router->Handle("PUT", "/api/annotations/:id",
                 [this](const HttpRequest& r) { return Update(r, /*replace=*/true); });
  router->Handle("DELETE", "/api/annotations/:id",
                 [this](const HttpRequest& r) { return Delete(r); });
}

HttpResponse AnnotationsApi::Error(int status, std::string_view message) {
  if (status == 400) bad_requests_.fetch_add(1, std::memory_order_relaxed);
  return Message(status, message);
}

HttpResponse AnnotationsApi::StoreError(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return Error(400, status.message());
    case StatusCode::kNotFound:
      return Error(404, "Annotation not found");
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      return Error(503, status.message());
    default:
      return Error(500, status.message());
  }
}

HttpResponse AnnotationsApi::Create(const HttpRequest& request) {
  Result<Fields> f = ParseBody(request.body, limits_);
  if (!f.ok()) return Error(400, f.status().message());
  if (!f->text || f->text->empty()) return Error(400, "text must not be empty");
  store::Annotation a;
  a.time_ms = f->time_ms.value_or(0);  // 0: now, as Grafana
  a.time_end_ms = f->time_end_ms.value_or(0);
  a.tags = f->tags.value_or(std::vector<std::string>{});
  a.text = *f->text;
  a.dashboard_uid = f->dashboard_uid.value_or("");
  a.dashboard_id = f->dashboard_id.value_or(0);
  a.panel_id = f->panel_id.value_or(0);
  a.data_json = f->data_json.value_or("");
  Result<store::Annotation> created = store_->Create(std::move(a));
  if (!created.ok()) return StoreError(created.status());
  created_.fetch_add(1, std::memory_order_relaxed);
  std::string body = "{\"message\":\"Annotation added\",\"id\":";
  json::AppendInt(&body, created->id);
  body += '}';
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse AnnotationsApi::Find(const HttpRequest& request) {
  store::AnnotationQuery q;
  Result<std::optional<int64_t>> from = api::OptionalIntParam(request, "from");
  Result<std::optional<int64_t>> to = api::OptionalIntParam(request, "to");
  Result<std::optional<int64_t>> limit = api::OptionalIntParam(request, "limit");
  Result<std::optional<int64_t>> dashboard_id = api::OptionalIntParam(request, "dashboardId");
  Result<std::optional<int64_t>> panel_id = api::OptionalIntParam(request, "panelId");
  for (const auto* r : {&from, &to, &limit, &dashboard_id, &panel_id}) {
    if (!r->ok()) return Error(400, r->status().message());
  }
  if (*from) q.from_ms = **from;
  if (*to) q.to_ms = **to;
  if (q.from_ms > q.to_ms) return Error(400, "from is after to");
  if (*limit) {
    if (**limit < 0 || static_cast<uint64_t>(**limit) > limits_.max_limit) {
      return Error(400, "limit must be between 0 and " + std::to_string(limits_.max_limit));
    }
    if (**limit > 0) q.limit = static_cast<size_t>(**limit);  // 0: the default, as Grafana
  }
  q.dashboard_id = *dashboard_id;
  q.panel_id = *panel_id;
  if (std::optional<std::string> uid = request.Param("dashboardUID"); uid && !uid->empty()) {
    q.dashboard_uid = *uid;
  }
  for (std::string& tag : request.Params("tags")) {
    if (!tag.empty()) q.tags.push_back(std::move(tag));
  }
  if (std::optional<std::string> any = request.Param("matchAny"); any && !any->empty()) {
    if (*any == "true" || *any == "1") {
      q.match_any = true;
    } else if (*any != "false" && *any != "0") {
      return Error(400, "parameter matchAny: '" + *any + "' is not true or false");
    }
  }
  q.text_contains = request.Param("text").value_or("");
  std::string type = request.Param("type").value_or("");
  if (type != "" && type != "annotation" && type != "alert") {
    return Error(400, "parameter type: '" + type + "' is not annotation or alert");
  }
  std::string body = "[";
  if (type != "alert") {  // no alert annotations are stored
    Result<std::vector<store::Annotation>> found = store_->Find(q);
    if (!found.ok()) return StoreError(found.status());
    for (size_t i = 0; i < found->size(); ++i) {
      if (i > 0) body += ',';
      AppendAnnotation(&body, (*found)[i]);
    }
  }
  body += ']';
  return HttpResponse::Json(200, std::move(body));
}

namespace {
std::optional<int64_t> PathId(const HttpRequest& request) {
  std::string_view text = request.PathParam("id");
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  std::optional<int64_t> id = v;
  if (!id || *id <= 0) return std::nullopt;
  return id;
}
}  // namespace

HttpResponse AnnotationsApi::Get(const HttpRequest& request) {
  std::optional<int64_t> id = PathId(request);
  if (!id) return Error(400, "annotation id must be a positive integer");
  Result<store::Annotation> a = store_->Get(*id);
  if (!a.ok()) return StoreError(a.status());
  std::string body;
  AppendAnnotation(&body, *a);
  return HttpResponse::Json(200, std::move(body));
}

HttpResponse AnnotationsApi::Update(const HttpRequest& request, bool replace) {
  std::optional<int64_t> id = PathId(request);
  if (!id) return Error(400, "annotation id must be a positive integer");
  Result<Fields> f = ParseBody(request.body, limits_);
  if (!f.ok()) return Error(400, f.status().message());
  Result<store::Annotation> existing = store_->Get(*id);
  if (!existing.ok()) return StoreError(existing.status());
  store::AnnotationPatch patch;
  if (replace) {
    // PUT replaces the editable fields; the time stays when none is given.
    if (!f->text || f->text->empty()) return Error(400, "text must not be empty");
    patch.time_ms = f->time_ms.value_or(existing->time_ms);
    patch.time_end_ms = f->time_end_ms.value_or(*patch.time_ms);
    patch.text = f->text;
    patch.tags = f->tags.value_or(std::vector<std::string>{});
    patch.data_json = f->data_json.value_or("");
  } else {
    if (f->text && f->text->empty()) return Error(400, "text must not be empty");
    patch.time_ms = f->time_ms;
    patch.time_end_ms = f->time_end_ms;
    // Moving a point in time moves its end with it.
    if (f->time_ms && !f->time_end_ms && existing->time_end_ms == existing->time_ms) {
      patch.time_end_ms = f->time_ms;
    }
    patch.text = f->text;
    patch.tags = f->tags;
    patch.data_json = f->data_json;
  }
  Result<store::Annotation> updated = store_->Patch(*id, patch);
  if (!updated.ok()) return StoreError(updated.status());
  updated_.fetch_add(1, std::memory_order_relaxed);
  return Message(200, replace ? "Annotation updated" : "Annotation patched");
}

HttpResponse AnnotationsApi::Delete(const HttpRequest& request) {
  std::optional<int64_t> id = PathId(request);
  if (!id) return Error(400, "annotation id must be a positive integer");
  Status deleted = store_->Delete(*id);
  if (!deleted.ok()) return StoreError(deleted);
  deleted_.fetch_add(1, std::memory_order_relaxed);
  return Message(200, "Annotation deleted");
}

HttpResponse AnnotationsApi::Tags(const HttpRequest& request) {
  Result<std::optional<int64_t>> limit = api::OptionalIntParam(request, "limit");
  if (!limit.ok()) return Error(400, limit.status().message());
  size_t n = 100;
  if (*limit) {
    if (**limit < 0 || static_cast<uint64_t>(**limit) > limits_.max_limit) {
      return Error(400, "limit must be between 0 and " + std::to_string(limits_.max_limit));
    }
    if (**limit > 0) n = static_cast<size_t>(**limit);
  }
  Result<std::vector<store::AnnotationTagCount>> tags =
      store_->Tags(request.Param("tag").value_or(""), n);
  if (!tags.ok()) return StoreError(tags.status());
  std::string body = "{\"result\":{\"tags\":[";
  for (size_t i = 0; i < tags->size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"tag\":";
    json::AppendString(&body, (*tags)[i].tag);
    body += ",\"count\":";
    json::AppendInt(&body, (*tags)[i].count);
    body += '}';
  }
  body += "]}}";
  return HttpResponse::Json(200, std::move(body));
}

AnnotationsApiStats AnnotationsApi::stats() const {
  return {created_.load(), updated_.load(), deleted_.load(), bad_requests_.load()};
}

}  // namespace quartet::api
