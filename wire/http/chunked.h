// Incremental decoder of the chunked transfer coding (RFC 9112 section 7.1)
// for request bodies. Bytes are fed as they arrive from the socket, in pieces
// of any size; decoded body bytes are appended to the caller's string. It is
// bounded everywhere an attacker could make it grow: the chunk-size line
// (extensions included), the decoded body and the trailer section. Trailer
// fields are read and dropped: nothing we serve needs them, and honouring them
// would let a trailer override a header that was already checked.
//
// Errors carry the status a server replies with (HttpStatusForBodyError):
// InvalidArgument -> 400 for syntax, ResourceExhausted -> 413 when the body
// would exceed its limit (checked before appending), 431 never (an oversized
// trailer is a 400: the request is malformed rather than merely large).
//
// Thread-safety: a ChunkedDecoder is a plain value; use one per request from
// one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::http {

struct ChunkedLimits {
  size_t max_body_bytes = 20 << 20;  // sum of chunk sizes
  size_t max_line_bytes = 1024;      // one chunk-size line, extensions included
  size_t max_trailer_bytes = 8 * 1024;
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

  // Decodes from the front of `in`, appending body bytes to *body, and returns
  // how many bytes of `in` it consumed. It consumes everything unless the
  // message ends inside `in` (done() turns true): the bytes after it belong to
  // the next request on the connection. After an error the decoder stays
  // failed; the connection cannot be resynchronised and must be closed.
  Result<size_t> Feed(std::string_view in, std::string* body);

  // True once the last chunk and the trailer section have been consumed.
  bool done() const { return state_ == State::kDone; }
  // Decoded body bytes so far.
  uint64_t body_bytes() const { return body_bytes_; }
  // Ready for another message, with the same limits.
  void Reset();

 private:
  enum class State { kSizeLine, kData, kDataCr, kDataLf, kTrailerLine, kDone, kFailed };

  Status ParseSizeLine();
  Status Fail(Status s);

  ChunkedLimits limits_;
  State state_ = State::kSizeLine;
  std::string line_;         // the partial size or trailer line being read
  uint64_t chunk_left_ = 0;  // data bytes still due in the current chunk
  uint64_t body_bytes_ = 0;
  size_t trailer_bytes_ = 0;
};

// The HTTP status for a body decoding error (chunked or Content-Encoding):
// 413 for ResourceExhausted, 415 for FailedPrecondition (unsupported
// Content-Encoding), 400 otherwise.
int HttpStatusForBodyError(const Status& error);

}  // namespace quartet::http
