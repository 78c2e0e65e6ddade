#include "server/ingest/otlp/log_mapping.h"

#include <algorithm>
#include <map>

#include "wire/otlp/encode_json.h"

namespace quartet::ingest {
namespace {

// Loki's default index labels for OTLP resources (its
// distributor.otlp_config default_resource_attributes_as_index_labels).
constexpr std::string_view kIndexAttributes[] = {
    "service.name",
    "service.namespace",
    "service.instance.id",
    "deployment.environment",
    "deployment.environment.name",
    "cloud.region",
    "cloud.availability_zone",
    "k8s.cluster.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.container.name",
    "container.name",
    "k8s.replicaset.name",
    "k8s.deployment.name",
    "k8s.statefulset.name",
    "k8s.daemonset.name",
    "k8s.cronjob.name",
    "k8s.job.name",
};

bool IsIndexAttribute(std::string_view key) {
  return std::find(std::begin(kIndexAttributes), std::end(kIndexAttributes), key) !=
         std::end(kIndexAttributes);
}

void SortUnique(store::Labels* labels) {
  // Later duplicates win (a record attribute overrides a resource one).
  std::stable_sort(labels->begin(), labels->end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  store::Labels out;
  for (auto& label : *labels) {
    if (!out.empty() && out.back().first == label.first) {
      out.back().second = std::move(label.second);
    } else {
      out.push_back(std::move(label));
    }
  }
  *labels = std::move(out);
}

}  // namespace

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') out += '_';
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out;
}

std::vector<store::LogStream> LogStreamsFromOtlp(const otlp::ExportLogsServiceRequest& request,
                                                 int64_t now_ns) {
  std::map<store::Labels, store::LogStream> streams;
  for (const otlp::ResourceLogs& rl : request.resource_logs) {
    store::Labels labels;
    store::Labels resource_metadata;
    for (const otlp::KeyValue& kv : rl.resource.attributes) {
      std::string text = otlp::AnyValueText(kv.value);
      if (IsIndexAttribute(kv.key)) {
        labels.emplace_back(SanitizeLabelName(kv.key), std::move(text));
      } else {
        resource_metadata.emplace_back(SanitizeLabelName(kv.key), std::move(text));
      }
    }
    if (std::none_of(labels.begin(), labels.end(),
                     [](const auto& l) { return l.first == "service_name"; })) {
      labels.emplace_back("service_name", "unknown_service");
    }
    SortUnique(&labels);
    store::LogStream& stream = streams[labels];
    stream.labels = labels;
    for (const otlp::ScopeLogs& sl : rl.scope_logs) {
      for (const otlp::LogRecord& record : sl.log_records) {
        store::LogEntry& entry = stream.entries.emplace_back();
        entry.timestamp_ns = static_cast<int64_t>(
            record.time_unix_nano != 0 ? record.time_unix_nano : record.observed_time_unix_nano);
        if (entry.timestamp_ns == 0) entry.timestamp_ns = now_ns;
        entry.line = otlp::AnyValueText(record.body);
        store::Labels& md = entry.structured_metadata;
        md = resource_metadata;
        for (const otlp::KeyValue& kv : record.attributes) {
          md.emplace_back(SanitizeLabelName(kv.key), otlp::AnyValueText(kv.value));
        }
        if (!record.severity_text.empty()) md.emplace_back("severity_text", record.severity_text);
        if (record.severity_number != 0) {
          md.emplace_back("severity_number", std::to_string(record.severity_number));
        }
        if (!sl.scope.name.empty()) md.emplace_back("scope_name", sl.scope.name);
        if (record.trace_id.valid()) {
          entry.trace_id = record.trace_id;
          md.emplace_back("trace_id", record.trace_id.ToHex());
          // The W3C sampled flag: says whether the line's trace was kept, so
          // a trace_id that resolves to nothing is explained (quartet doctor).
          md.emplace_back("sampled", (record.flags & 0x01) != 0 ? "true" : "false");
        }
        if (record.span_id.valid()) {
          entry.span_id = record.span_id;
          md.emplace_back("span_id", record.span_id.ToHex());
        }
        SortUnique(&md);
      }
    }
  }
  std::vector<store::LogStream> out;
  for (auto& [labels, stream] : streams) {
    if (!stream.entries.empty()) out.push_back(std::move(stream));
  }
  return out;
}

}  // namespace quartet::ingest
