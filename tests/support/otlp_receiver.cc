#include "tests/support/otlp_receiver.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "wire/compress/gzip.h"
#include "wire/otlp/decode.h"

namespace quartet::testing {

OtlpReceiver::OtlpReceiver() {
  server_.server().Post(R"(/v1/(traces|logs|metrics))",
                        [this](const httplib::Request& req, httplib::Response& res) {
                          Request r{req.path, req.get_header_value("Content-Type"), req.body};
                          if (req.get_header_value("Content-Encoding") == "gzip") {
                            auto plain = compress::GzipDecompress(req.body, 64 << 20);
                            r.body = plain.ok() ? *plain : "<bad gzip>";
                          }
                          {
                            std::lock_guard<std::mutex> lock(mu_);
                            requests_.push_back(std::move(r));
                          }
                          res.status = status_.load();
                          if (res.status == 429 || res.status == 503)
                            res.set_header("Retry-After", "1");
                          res.set_content("", "application/x-protobuf");
                        });
  server_.Start();
}

OtlpReceiver::~OtlpReceiver() { server_.Stop(); }

std::string OtlpReceiver::endpoint() const { return server_.Url(""); }

std::vector<OtlpReceiver::Request> OtlpReceiver::Requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Request> out;
  for (const auto& r : requests_) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

size_t OtlpReceiver::Count(const std::string& path) const { return Requests(path).size(); }

std::vector<otlp::Span> OtlpReceiver::Spans(std::string* service) const {
  std::vector<otlp::Span> out;
  for (const Request& request : Requests("/v1/traces")) {
    auto decoded = otlp::DecodeTraces(request.body);
    if (!decoded.ok()) {
      ADD_FAILURE() << "undecodable /v1/traces body: " << decoded.status().ToString();
      continue;
    }
    for (const auto& rs : decoded->resource_spans) {
      if (service != nullptr) {
        const otlp::AnyValue* name = otlp::FindAttribute(rs.resource.attributes, "service.name");
        *service = name != nullptr ? name->string_value : "<absent>";
      }
      for (const auto& ss : rs.scope_spans) out.insert(out.end(), ss.spans.begin(), ss.spans.end());
    }
  }
  return out;
}

}  // namespace quartet::testing
