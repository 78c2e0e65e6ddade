// gzip and zlib (RFC 1952 / RFC 1950) compression for bodies that cross the
// wire: OTLP export requests, admin /metrics responses, ingest request bodies.
// Decompression always takes a hard output limit, because a few kilobytes of
// gzip can expand to gigabytes: the limit is checked before each append, so the
// output never grows past it and the error names the limit. Truncated streams,
// checksum mismatches and trailing garbage are errors, never silently accepted;
// concatenated gzip members (RFC 1952 section 2.2, what `cat a.gz b.gz` makes)
// decode to the concatenation of their contents.
//
// Thread-safety: free functions with no shared state; safe to call
// concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::compress {

// zlib's own default: a good speed/size balance for telemetry payloads.
inline constexpr int kDefaultLevel = 6;

// Compresses `input` into one gzip member. `level` is 0 (store) .. 9 (best);
// -1 means zlib's default. Other levels are InvalidArgument.
Result<std::string> GzipCompress(std::string_view input, int level = kDefaultLevel);

// Compresses `input` into a zlib stream (HTTP's "Content-Encoding: deflate").
Result<std::string> ZlibCompress(std::string_view input, int level = kDefaultLevel);

// Decodes one or more concatenated gzip members. Errors: ResourceExhausted when
// the output would exceed `max_output` bytes, OutOfRange when the input ends
// mid-stream (or is empty), DataLoss on corruption (bad header, CRC or length
// mismatch, trailing bytes that are not another gzip member).
Result<std::string> GzipDecompress(std::string_view input, size_t max_output);

// Decodes exactly one zlib stream; errors as GzipDecompress (trailing bytes
// after the stream are DataLoss).
Result<std::string> ZlibDecompress(std::string_view input, size_t max_output);

}  // namespace quartet::compress
