#include "server/store/traces/trace_merge.h"

#include <algorithm>
#include <iterator>

namespace quartet::store {

void MergeSummary(const TraceSummary& part, bool part_has_root, TraceSummary* merged,
                  bool* merged_has_root) {
  if (part.span_count == 0) return;
  if (merged->span_count == 0) {
    *merged = part;
    *merged_has_root = part_has_root;
    return;
  }
  merged->start_ns = std::min(merged->start_ns, part.start_ns);
  merged->end_ns = std::max(merged->end_ns, part.end_ns);
  merged->span_count += part.span_count;
  merged->log_count += part.log_count;
  merged->has_error |= part.has_error;
  if (part_has_root && !*merged_has_root) {
    merged->root_service = part.root_service;
    merged->root_name = part.root_name;
    merged->root_route = part.root_route;
    *merged_has_root = true;
  }
  std::vector<std::string> services;
  services.reserve(merged->services.size() + part.services.size());
  std::set_union(merged->services.begin(), merged->services.end(), part.services.begin(),
                 part.services.end(), std::back_inserter(services));
  merged->services = std::move(services);
}

void MergeSpans(otlp::ExportTraceServiceRequest part, otlp::ExportTraceServiceRequest* merged) {
  for (otlp::ResourceSpans& rs : part.resource_spans) {
    auto same_resource =
        std::find_if(merged->resource_spans.begin(), merged->resource_spans.end(),
                     [&](const otlp::ResourceSpans& m) {
                       return m.resource == rs.resource && m.schema_url == rs.schema_url;
                     });
    if (same_resource == merged->resource_spans.end()) {
      merged->resource_spans.push_back(std::move(rs));
      continue;
    }
    for (otlp::ScopeSpans& ss : rs.scope_spans) {
      auto same_scope =
          std::find_if(same_resource->scope_spans.begin(), same_resource->scope_spans.end(),
                       [&](const otlp::ScopeSpans& m) {
                         return m.scope == ss.scope && m.schema_url == ss.schema_url;
                       });
      if (same_scope == same_resource->scope_spans.end()) {
        same_resource->scope_spans.push_back(std::move(ss));
      } else {
        std::move(ss.spans.begin(), ss.spans.end(), std::back_inserter(same_scope->spans));
      }
    }
  }
}

bool HasRootSpan(const otlp::ExportTraceServiceRequest& spans) {
  for (const otlp::ResourceSpans& rs : spans.resource_spans) {
    for (const otlp::ScopeSpans& ss : rs.scope_spans) {
      for (const otlp::Span& span : ss.spans) {
        if (!span.parent_span_id.valid()) return true;
      }
    }
  }
  return false;
}

}  // namespace quartet::store
