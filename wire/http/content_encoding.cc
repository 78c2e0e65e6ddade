#include "wire/http/content_encoding.h"

#include <vector>

#include "base/strings.h"
#include "wire/compress/gzip.h"

namespace quartet::http {
namespace {

// Compressed input that is truncated or corrupt is the client's fault (400);
// only the size limit keeps its own code.
Status AsBodyError(const Status& s, std::string_view coding) {
  if (s.code() == StatusCode::kResourceExhausted) return s;
  return Status::InvalidArgument("invalid " + std::string(coding) +
                                 " body: " + std::string(s.message()));
}

}  // namespace

Result<std::string> DecodeContentEncoding(std::string_view content_encoding, std::string body,
                                          size_t max_bytes) {
  std::vector<std::string> codings;
  while (!content_encoding.empty()) {
    size_t comma = content_encoding.find(',');
    std::string coding = AsciiLower(TrimSpace(content_encoding.substr(0, comma)));
    content_encoding =
        comma == std::string_view::npos ? std::string_view() : content_encoding.substr(comma + 1);
    if (coding.empty() || coding == "identity") continue;
    if (coding != "gzip" && coding != "x-gzip" && coding != "deflate") {
      std::string shown;
      for (char c : std::string_view(coding).substr(0, 40))
        shown += (c >= 0x20 && c < 0x7f) ? c : '?';
      return Status::FailedPrecondition("unsupported Content-Encoding '" + shown +
                                        "' (gzip, deflate or identity)");
    }
    if (codings.size() == 4) return Status::InvalidArgument("too many content codings");
    codings.push_back(std::move(coding));
  }
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    Result<std::string> decoded = *it == "deflate" ? compress::ZlibDecompress(body, max_bytes)
                                                   : compress::GzipDecompress(body, max_bytes);
    if (!decoded.ok()) return AsBodyError(decoded.status(), *it);
    body = std::move(decoded).value();
  }
  if (body.size() > max_bytes) {
    return Status::ResourceExhausted("body of " + std::to_string(body.size()) +
                                     " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  return body;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  bool star = false, gzip = false, gzip_listed = false;
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view item = TrimSpace(accept_encoding.substr(0, comma));
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    size_t semi = item.find(';');
    std::string coding = AsciiLower(TrimSpace(item.substr(0, semi)));
    bool acceptable = true;
    if (semi != std::string_view::npos) {
      std::string params = AsciiLower(item.substr(semi + 1));
      std::string_view p = TrimSpace(params);
      if (p.starts_with("q=")) {
        std::string_view q = TrimSpace(p.substr(2));
        // q=0, q=0.0, q=0.000: not acceptable; anything else (well-formed or
        // not) counts as acceptable.
        acceptable = !(q.starts_with("0") && q.find_first_not_of("0.") == std::string_view::npos);
      }
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_listed = true;
      gzip = gzip || acceptable;
    } else if (coding == "*") {
      star = acceptable;
    }
  }
  return gzip || (!gzip_listed && star);
}

}  // namespace quartet::http
