#include "wire/compress/snappy.h"

#include <snappy.h>

namespace quartet::compress {

std::string SnappyCompress(std::string_view input) {
  std::string out;
  snappy::Compress(input.data(), input.size(), &out);
  return out;
}

Result<size_t> SnappyUncompressedLength(std::string_view input) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(input.data(), input.size(), &length)) {
    return Status::DataLoss("snappy: invalid block header (uncompressed length varint)");
  }
  return length;
}

Result<std::string> SnappyDecompress(std::string_view input, size_t max_output) {
  ASSIGN_OR_RETURN(size_t length, SnappyUncompressedLength(input));
  if (length > max_output) {
    return Status::ResourceExhausted("snappy: block claims " + std::to_string(length) +
                                     " uncompressed bytes, over the limit of " +
                                     std::to_string(max_output));
  }
  std::string out;
  // Resize (not reserve) so that RawUncompress writes into owned bytes; the
  // size was just bounded by the caller's limit.
  out.resize(length);
  if (!snappy::RawUncompress(input.data(), input.size(), out.data())) {
    return Status::DataLoss("snappy: corrupt or truncated block (claimed " +
                            std::to_string(length) + " bytes)");
  }
  return out;
}

}  // namespace quartet::compress
