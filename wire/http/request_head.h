// Parsing of an HTTP/1.1 request head (request line + header fields, RFC 9112)
// for the SDK's admin server and quartetd. Strict and bounded, because both
// ports face whatever can reach them: every malformed or oversized head gets a
// precise error that maps to the status the server replies with (400, 414,
// 431, 505), never a crash or an unbounded allocation. The head also says how
// the body is framed (Content-Length or chunked, RFC 9112 section 6), with the
// ambiguous framings used for request smuggling rejected.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace quartet::http {

struct HeadLimits {
  size_t max_head_bytes = 8 * 1024;    // request line + headers + final CRLF
  size_t max_target_bytes = 2 * 1024;  // request-target
  size_t max_headers = 64;
};

struct RequestHead {
  std::string method;
  std::string target;     // as sent, e.g. "/metrics?name[]=up"
  std::string path;       // target before '?', still percent-encoded
  std::string query;      // after '?', without it; "" when absent
  int version_minor = 1;  // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  bool keep_alive = true;        // after Connection and version defaults
  bool has_body = false;         // Content-Length > 0 or Transfer-Encoding present
  bool chunked = false;          // Transfer-Encoding: chunked (the only coding accepted)
  uint64_t content_length = 0;   // 0 when absent or chunked
  bool expect_continue = false;  // "Expect: 100-continue" on an HTTP/1.1 request

  // The first value of header `lower_name`, "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

// Parses `head`: everything up to and including the blank line ending the
// header section ("\r\n\r\n"). Errors, with the reply status they call for:
//   InvalidArgument    -> 400 (syntax, bad header, missing/duplicate Host,
//                              conflicting Content-Length, a Transfer-Encoding
//                              other than exactly "chunked", or both framings)
//   OutOfRange         -> 414 (request-target too long)
//   ResourceExhausted  -> 431 (too many header fields / head too large)
//   FailedPrecondition -> 505 (HTTP version other than 1.0/1.1)
Result<RequestHead> ParseRequestHead(std::string_view head, const HeadLimits& limits);

// The HTTP status to reply for a ParseRequestHead error.
int HttpStatusForHeadError(const Status& error);

}  // namespace quartet::http
