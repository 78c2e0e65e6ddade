// Fuzz target for the HTTP/1.1 codecs of wire/http: the request-head parser,
// the chunked decoder (fed in two pieces at a data-chosen split, which must
// decode exactly as one piece) and the URL-encoded parameter parser. None may
// crash, exceed its limits, or return an error outside the documented codes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/http/chunked.h"
#include "wire/http/request_head.h"
#include "wire/http/url_encoded.h"

namespace {

struct Decoded {
  bool ok = false;
  bool done = false;
  size_t consumed = 0;
  std::string body;
};

Decoded DecodeChunked(std::string_view in, size_t split,
                      const quartet::http::ChunkedLimits& limits) {
  quartet::http::ChunkedDecoder d(limits);
  Decoded out;
  for (std::string_view piece : {in.substr(0, split), in.substr(split)}) {
    if (d.done()) break;
    auto n = d.Feed(piece, &out.body);
    if (!n.ok()) {
      int status = quartet::http::HttpStatusForBodyError(n.status());
      if (status != 400 && status != 413) std::abort();
      return out;
    }
    out.consumed += *n;
    if (*n < piece.size() && !d.done()) std::abort();  // stops early only at the end
  }
  if (out.body.size() > limits.max_body_bytes || out.body.size() != d.body_bytes()) std::abort();
  out.ok = true;
  out.done = d.done();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  quartet::http::HeadLimits head_limits;
  head_limits.max_headers = 16;
  head_limits.max_target_bytes = 256;
  size_t end = in.find("\r\n\r\n");
  auto head = quartet::http::ParseRequestHead(
      end == std::string_view::npos ? in : in.substr(0, end + 4), head_limits);
  if (head.ok()) {
    if (head->method.empty() || head->path.find_first_of(" \r\n") != std::string::npos)
      std::abort();
    if (head->chunked && head->content_length != 0) std::abort();
    if (head->headers.size() > head_limits.max_headers) std::abort();
  } else {
    int status = quartet::http::HttpStatusForHeadError(head.status());
    if (status != 400 && status != 414 && status != 431 && status != 505) std::abort();
  }

  quartet::http::ChunkedLimits limits;
  limits.max_body_bytes = 4096;
  limits.max_line_bytes = 64;
  limits.max_trailer_bytes = 256;
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  Decoded whole = DecodeChunked(in, size, limits);
  Decoded pieces = DecodeChunked(in, split, limits);
  if (whole.ok != pieces.ok) std::abort();
  if (whole.ok && (whole.done != pieces.done || whole.body != pieces.body ||
                   (whole.done && whole.consumed != pieces.consumed))) {
    std::abort();
  }

  quartet::http::Params params;
  quartet::Status s = quartet::http::ParseUrlEncoded(in, &params);
  if (!s.ok() && s.code() != quartet::StatusCode::kInvalidArgument) std::abort();
  return 0;
}
