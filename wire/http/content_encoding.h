// Content-Encoding of HTTP bodies (RFC 9110 section 8.4): decoding request
// bodies that clients compressed (OTLP exporters send gzip) and deciding
// whether a response may be gzip'd for a client. Decoding always takes a hard
// limit on the decoded size, checked while inflating, so a gzip bomb costs at
// most `max_bytes` of memory before it is refused.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::http {

// Decodes `body` as described by a Content-Encoding header value: "" or
// "identity" (returned as is), "gzip" / "x-gzip", "deflate" (a zlib stream, as
// RFC 9110 defines it), or a comma-separated list of those, undone last first.
// Errors (map with HttpStatusForBodyError in chunked.h):
//   ResourceExhausted  -> 413: the decoded body would exceed `max_bytes`
//   FailedPrecondition -> 415: any other coding (the message names it)
//   InvalidArgument    -> 400: corrupt or truncated compressed data
Result<std::string> DecodeContentEncoding(std::string_view content_encoding, std::string body,
                                          size_t max_bytes);

// True when an Accept-Encoding value admits gzip (gzip, x-gzip or "*" with a
// non-zero q-value).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace quartet::http
