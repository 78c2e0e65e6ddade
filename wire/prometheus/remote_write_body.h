// The HTTP body of a remote_write 1.0 request (POST /api/v1/write): checks
// Content-Type and Content-Encoding, bounds and undoes the snappy *block*
// compression, and decodes the WriteRequest (remote_write.h). Built as its
// own library (quartet_wire_prometheus_rw_body) because it links libsnappy,
// which the SDK side of wire/ must not.
//
// Errors carry a status code the HTTP handler maps one to one:
//   FailedPrecondition -> 415 Unsupported Media Type (another Content-Type
//                         or proto message, another Content-Encoding)
//   ResourceExhausted  -> 413 (decompressed size over the limit; checked from
//                         the snappy header BEFORE decompressing), or the
//                         decoder's memory budget
//   DataLoss           -> 400 (corrupt snappy block)
//   InvalidArgument    -> 400 (malformed protobuf, invalid series)
// Prometheus does not retry 4xx (except 429), so all of these are final.
//
// Thread-safety: a pure function; safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "wire/prometheus/remote_write.h"

namespace quartet::prometheus::rw {

// Default bound on the decompressed body (Prometheus sends at most
// max_samples_per_send=500-2000 samples per request, a few hundred KiB).
inline constexpr size_t kDefaultMaxDecompressedBytes = 32 << 20;

// Accepted: Content-Type absent, or application/x-protobuf with no `proto`
// parameter or proto=prometheus.WriteRequest (remote_write 2.0's
// io.prometheus.write.v2.Request is refused with 415); Content-Encoding
// absent or "snappy" (case-insensitive). An absent encoding is still
// decoded as snappy: remote_write 1.0 bodies are always compressed.
Status CheckRemoteWriteHeaders(std::string_view content_type, std::string_view content_encoding);

// Headers check + snappy + DecodeWriteRequest.
Result<WriteRequest> DecodeRemoteWriteBody(
    std::string_view content_type, std::string_view content_encoding, std::string_view body,
    size_t max_decompressed_bytes = kDefaultMaxDecompressedBytes, const DecodeLimits& limits = {});

// The same into a view: the decompressed bytes go to *raw, which *out
// points into (both reused: their capacity is kept across calls).
Status DecodeRemoteWriteBodyView(std::string_view content_type, std::string_view content_encoding,
                                 std::string_view body, std::string* raw, WriteRequestView* out,
                                 size_t max_decompressed_bytes = kDefaultMaxDecompressedBytes,
                                 const DecodeLimits& limits = {});

// The inverse, for tests and forwarding: snappy(EncodeWriteRequest(request)).
std::string EncodeRemoteWriteBody(const WriteRequest& request);

}  // namespace quartet::prometheus::rw
