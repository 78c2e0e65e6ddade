#include "server/ingest/pyroscope/pyroscope_ingest.h"

#include "base/clock.h"

namespace quartet::ingest {

using server::HttpRequest;
using server::HttpResponse;

PyroscopeIngest::PyroscopeIngest(store::ProfileStore* profiles, IngestLimits limits,
                                 int retry_after_seconds)
    : profiles_(profiles), limits_(limits), retry_after_seconds_(retry_after_seconds) {}

void PyroscopeIngest::Register(server::Router* router) {
  router->Handle("POST", "/ingest", [this](const HttpRequest& r) { return Ingest(r); });
  router->Handle("GET", "/pyroscope/debug/profile-count",
                 [this](const HttpRequest& r) { return ProfileCount(r); });
}

HttpResponse PyroscopeIngest::Ingest(const HttpRequest& request) {
  if (!request.form_error.empty()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::Text(400, request.form_error + "\n");
  }
  Result<IngestUpload> upload = ParseIngestRequest(request, limits_, UnixNanos());
  Result<store::ProfileAppendResult> stored =
      upload.ok() ? profiles_->AppendProfile(upload->labels, upload->from_ns, upload->until_ns,
                                             upload->profile)
                  : Result<store::ProfileAppendResult>(upload.status());
  if (stored.ok()) {
    profiles_accepted_.fetch_add(stored->profiles, std::memory_order_relaxed);
    samples_accepted_.fetch_add(stored->samples, std::memory_order_relaxed);
    return HttpResponse{.status = 200};
  }
  const StatusCode code = stored.status().code();
  if (code == StatusCode::kInvalidArgument) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return HttpResponse::Text(400, std::string(stored.status().message()) + "\n");
  }
  pushed_back_.fetch_add(1, std::memory_order_relaxed);
  HttpResponse response = HttpResponse::Text(code == StatusCode::kResourceExhausted ? 429 : 503,
                                             std::string(stored.status().message()) + "\n");
  response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds_));
  return response;
}

HttpResponse PyroscopeIngest::ProfileCount(const HttpRequest& request) {
  const std::string type = request.Param("type").value_or("");
  if (type.empty()) return HttpResponse::Text(400, "type: missing\n");
  store::TimeRange range;
  for (auto [param, field] : {std::pair{"from", &range.start_ns}, {"until", &range.end_ns}}) {
    std::optional<std::string> v = request.Param(param);
    if (!v || v->empty()) continue;
    Result<int64_t> t = ParseUnixTime(*v, param);
    if (!t.ok()) return HttpResponse::Text(400, std::string(t.status().message()) + "\n");
    *field = *t;
  }
  std::vector<store::LabelMatch> matchers;
  for (const char* name : {"service_name", "span_id"}) {
    std::optional<std::string> v = request.Param(name);
    if (v && !v->empty()) matchers.push_back({name, store::LabelMatch::Op::kEq, *v});
  }
  int64_t profiles = 0;
  uint64_t total = 0;  // wraps instead of overflowing on hostile values
  Status status =
      profiles_->SelectProfiles(type, matchers, range, [&](const store::StoredProfile& p) {
        ++profiles;
        for (const pprof::Sample& s : p.profile.sample) {
          total += s.value.empty() ? 0 : static_cast<uint64_t>(s.value[0]);
        }
        return true;
      });
  if (!status.ok()) return HttpResponse::Text(400, std::string(status.message()) + "\n");
  return HttpResponse::Json(200, "{\"profiles\":" + std::to_string(profiles) + ",\"total\":" +
                                     std::to_string(static_cast<int64_t>(total)) + "}");
}

PyroscopeIngestStats PyroscopeIngest::stats() const {
  return {profiles_accepted_.load(std::memory_order_relaxed),
          samples_accepted_.load(std::memory_order_relaxed),
          bad_requests_.load(std::memory_order_relaxed),
          pushed_back_.load(std::memory_order_relaxed)};
}

}  // namespace quartet::ingest
