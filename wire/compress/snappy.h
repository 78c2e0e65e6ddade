// Snappy *block* format (https://github.com/google/snappy/blob/main/format_description.txt),
// the body encoding of Loki push protobuf and Prometheus remote_write, via
// Debian's libsnappy. Not the framed/stream format: a block starts with the
// uncompressed length as a varint, which decompression checks against a hard
// output limit BEFORE allocating anything, so a 10-byte body claiming 4 GiB
// costs nothing. A separate component (quartet_wire_snappy) from gzip so that
// code which never sees snappy bodies does not link libsnappy.
//
// Thread-safety: free functions with no shared state; safe to call
// concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::compress {

// Compresses `input` as one snappy block. Never fails.
std::string SnappyCompress(std::string_view input);

// The uncompressed length a snappy block claims in its header; DataLoss when
// the header is not a valid varint.
Result<size_t> SnappyUncompressedLength(std::string_view input);

// Decodes one snappy block. Errors: ResourceExhausted (naming the limit and the
// claimed size) when the block claims more than `max_output` bytes, checked
// before any allocation; DataLoss when the block is corrupt or truncated.
Result<std::string> SnappyDecompress(std::string_view input, size_t max_output);

}  // namespace quartet::compress
