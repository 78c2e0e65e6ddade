#include "server/store/block/zstd_context.h"

#include <zstd.h>

namespace quartet::store {
namespace {

struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

ZstdContexts& Contexts() {
  thread_local ZstdContexts contexts;
  return contexts;
}

}  // namespace

Status ZstdCompress(std::string_view bytes, int level, std::string* out) {
  out->resize(ZSTD_compressBound(bytes.size()));
  const size_t n =
      ZSTD_compressCCtx(Contexts().c, out->data(), out->size(), bytes.data(), bytes.size(), level);
  if (ZSTD_isError(n)) {
    out->clear();
    return Status::Internal(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  }
  out->resize(n);
  return Status::Ok();
}

Status ZstdDecompressExactly(std::string_view frame, size_t size, char* out) {
  if (ZSTD_getFrameContentSize(frame.data(), frame.size()) != size) {
    return Status::InvalidArgument("zstd frame does not declare its size");
  }
  const size_t n = ZSTD_decompressDCtx(Contexts().d, out, size, frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    return Status::InvalidArgument(std::string("zstd frame does not decompress: ") +
                                   ZSTD_getErrorName(n));
  }
  if (n != size) return Status::InvalidArgument("zstd frame does not decompress to its size");
  return Status::Ok();
}

}  // namespace quartet::store
