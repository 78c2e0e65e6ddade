// AnnotationsApi: Grafana's annotations HTTP API over quartetd's
// AnnotationStore, so the SDK's deploy announcements (quartet/annotate.h),
// `quartet annotate`, Grafana and scripts written for Grafana read and write
// annotations the same way (times are unix milliseconds):
//   POST   /api/annotations        {"time","timeEnd","tags","text","dashboardUID",
//                                   "dashboardId","panelId","data"} -> {"message":
//                                   "Annotation added","id":N}
//   GET    /api/annotations        from, to, tags (repeated), matchAny, limit (100),
//                                   type (annotation|alert), dashboardUID,
//                                   dashboardId, panelId, text (substring; ours)
//                                   -> JSON array, newest first
//   GET    /api/annotations/:id    one annotation
//   PATCH  /api/annotations/:id    the fields given (time, timeEnd, text, tags, data)
//   PUT    /api/annotations/:id    replaces time, timeEnd, text, tags and data
//   DELETE /api/annotations/:id
//   GET    /api/annotations/tags   tag (prefix), limit -> {"result":{"tags":[{"tag","count"}]}}
// Errors are Grafana's {"message": ...}, naming the problem: 400 for bad JSON,
// a wrong type, a missing or too long text, too many or too long tags, timeEnd
// before time; 404 for an unknown id; 503 when the store cannot write.
//
// Thread-safety: handlers may run concurrently (the store is thread-safe).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"

namespace quartet::api {

struct AnnotationLimits {
  size_t max_text_bytes = 64 * 1024;
  size_t max_tags = 64;
  size_t max_tag_bytes = 512;
  size_t max_data_bytes = 64 * 1024;  // the serialized "data" object
  size_t max_limit = 10000;           // the largest `limit` a GET may ask
};

struct AnnotationsApiStats {
  int64_t created = 0;
  int64_t updated = 0;  // PATCH and PUT
  int64_t deleted = 0;
  int64_t bad_requests = 0;
};

class AnnotationsApi {
 public:
  // `store` must outlive this object.
  explicit AnnotationsApi(store::AnnotationStore* store, AnnotationLimits limits = {});

  void Register(server::Router* router);
  server::HttpResponse Create(const server::HttpRequest& request);
  server::HttpResponse Find(const server::HttpRequest& request);
  server::HttpResponse Get(const server::HttpRequest& request);
  server::HttpResponse Update(const server::HttpRequest& request, bool replace);
  server::HttpResponse Delete(const server::HttpRequest& request);
  server::HttpResponse Tags(const server::HttpRequest& request);

  AnnotationsApiStats stats() const;

 private:
  server::HttpResponse Error(int status, std::string_view message);
  server::HttpResponse StoreError(const Status& status);

  store::AnnotationStore* store_;
  AnnotationLimits limits_;
  std::atomic<int64_t> created_{0}, updated_{0}, deleted_{0}, bad_requests_{0};
};

}  // namespace quartet::api
