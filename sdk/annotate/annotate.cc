#include "quartet/annotate.h"

#include "base/clock.h"
#include "sdk/export/http_client.h"
#include "wire/json/json_parser.h"
#include "wire/json/json_writer.h"

namespace quartet {

std::string DeployAnnotationJson(const DeployEvent& event) {
  std::vector<std::string> tags = {"deploy"};
  if (!event.service.empty()) tags.push_back("service=" + event.service);
  if (!event.version.empty()) tags.push_back("version=" + event.version);
  if (!event.environment.empty()) tags.push_back("env=" + event.environment);
  tags.insert(tags.end(), event.tags.begin(), event.tags.end());

  std::string text = event.text;
  if (text.empty())
    text = "deploy " + event.service + (event.version.empty() ? "" : " " + event.version);

  std::string out = "{\"time\":";
  json::AppendInt(&out, event.time_ms != 0 ? event.time_ms : UnixNanos() / 1'000'000);
  if (event.time_end_ms != 0) {
    out += ",\"timeEnd\":";
    json::AppendInt(&out, event.time_end_ms);
  }
  out += ",\"tags\":[";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    json::AppendString(&out, tags[i]);
  }
  out += "],\"text\":";
  json::AppendString(&out, text);
  out += '}';
  return out;
}

Result<int64_t> AnnounceDeploy(std::string_view server_url, const DeployEvent& event,
                               std::chrono::milliseconds timeout) noexcept {
  std::string url(server_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/api/annotations";
  std::string body = DeployAnnotationJson(event);
  exporter::HttpClient client;
  exporter::Headers headers(event.headers.begin(), event.headers.end());
  ASSIGN_OR_RETURN(exporter::HttpResponse response,
                   client.Post(url, body, "application/json", headers, /*gzip=*/false, timeout));
  if (response.status < 200 || response.status > 299) {
    return Status::Unavailable("POST " + url + ": HTTP " + std::to_string(response.status) + ": " +
                               response.body.substr(0, 200));
  }
  // Grafana answers {"message":"Annotation added","id":N}.
  Result<json::Value> doc = json::Parse(response.body);
  if (!doc.ok() || doc->Find("id") == nullptr || !doc->Find("id")->int_value()) {
    return Status::Internal("POST " + url +
                            ": response has no numeric id: " + response.body.substr(0, 200));
  }
  return *doc->Find("id")->int_value();
}

}  // namespace quartet
