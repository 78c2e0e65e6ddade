// zstd compression and decompression with this thread's contexts.
// ZSTD_compress and ZSTD_decompress set a context up per call (~100 KB for
// decompression, more for compression): for a block's many small sections,
// and for a scan that decompresses a page per call, that set-up is a
// measurable share of the work. Each thread keeps one of each for its life.
//
// Thread-safe: every thread has its own contexts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::store {

// `bytes` as one zstd frame at `level` into *out (replaced); Internal naming
// zstd's error when it fails (only invalid parameters do).
Status ZstdCompress(std::string_view bytes, int level, std::string* out);

// Decompresses a frame that must declare, and hold, exactly `size` bytes
// into out[0, size); InvalidArgument otherwise (checked before writing).
Status ZstdDecompressExactly(std::string_view frame, size_t size, char* out);

}  // namespace quartet::store
