#include "wire/compress/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace quartet::compress {
namespace {

// zlib counts in uInt (32 bits); feed larger buffers in slices of this size.
constexpr size_t kMaxSlice = size_t{1} << 30;
constexpr size_t kOutChunk = 64 * 1024;
// windowBits: 15 = 32 KiB window; +16 selects the gzip wrapper.
constexpr int kZlibWindowBits = 15;
constexpr int kGzipWindowBits = 15 + 16;

enum class Wrapper { kGzip, kZlib };

std::string_view WrapperName(Wrapper w) { return w == Wrapper::kGzip ? "gzip" : "zlib"; }

Result<std::string> Compress(std::string_view input, int level, Wrapper wrapper) {
  if (level < -1 || level > 9) {
    return Status::InvalidArgument("compression level " + std::to_string(level) +
                                   " out of range [-1, 9]");
  }
  z_stream zs{};
  int bits = wrapper == Wrapper::kGzip ? kGzipWindowBits : kZlibWindowBits;
  int rc = deflateInit2(&zs, level, Z_DEFLATED, bits, /*memLevel=*/8, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    return Status::Internal(std::string(WrapperName(wrapper)) +
                            " deflateInit2 failed: " + std::to_string(rc));
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);

  std::string out;
  // deflateBound is exact enough for one-shot input; it avoids regrowth for
  // the common case and the loop below still copes if it were too small.
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(input.size(), kMaxSlice))) + 64);
  size_t produced = 0;
  size_t consumed = 0;
  for (;;) {
    if (zs.avail_in == 0 && consumed < input.size()) {
      size_t slice = std::min(input.size() - consumed, kMaxSlice);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data() + consumed));
      zs.avail_in = static_cast<uInt>(slice);
      consumed += slice;
    }
    if (produced == out.size()) out.resize(out.size() * 2);
    size_t room = std::min(out.size() - produced, kMaxSlice);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    int flush = consumed == input.size() ? Z_FINISH : Z_NO_FLUSH;
    rc = deflate(&zs, flush);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Status::Internal(std::string(WrapperName(wrapper)) +
                              " deflate failed: " + std::to_string(rc));
    }
  }
  out.resize(produced);
  return out;
}

bool StartsWithGzipMagic(const unsigned char* p, size_t n) {
  return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

Result<std::string> Decompress(std::string_view input, size_t max_output, Wrapper wrapper) {
  const std::string name(WrapperName(wrapper));
  if (input.empty()) return Status::OutOfRange(name + " stream is empty");
  z_stream zs{};
  int bits = wrapper == Wrapper::kGzip ? kGzipWindowBits : kZlibWindowBits;
  int rc = inflateInit2(&zs, bits);
  if (rc != Z_OK) return Status::Internal(name + " inflateInit2 failed: " + std::to_string(rc));
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);

  std::string out;
  // zlib writes into a fixed scratch chunk; the limit is checked before the
  // chunk is appended, so `out` never holds more than max_output bytes.
  auto buf = std::make_unique<unsigned char[]>(kOutChunk);
  const auto* base = reinterpret_cast<const unsigned char*>(input.data());
  size_t fed = 0;  // bytes of input handed to zlib so far
  int members = 0;
  for (;;) {
    if (zs.avail_in == 0 && fed < input.size()) {
      size_t slice = std::min(input.size() - fed, kMaxSlice);
      zs.next_in = const_cast<Bytef*>(base + fed);
      zs.avail_in = static_cast<uInt>(slice);
      fed += slice;
    }
    zs.next_out = buf.get();
    zs.avail_out = static_cast<uInt>(kOutChunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = kOutChunk - zs.avail_out;
    if (produced > max_output - out.size()) {
      return Status::ResourceExhausted(name + " decompressed size exceeds the limit of " +
                                       std::to_string(max_output) + " bytes");
    }
    out.append(reinterpret_cast<const char*>(buf.get()), produced);
    switch (rc) {
      case Z_OK:
        continue;
      case Z_STREAM_END: {
        ++members;
        size_t remaining = zs.avail_in + (input.size() - fed);
        if (remaining == 0) return out;
        const unsigned char* next = base + (input.size() - remaining);
        if (wrapper == Wrapper::kGzip && StartsWithGzipMagic(next, remaining)) {
          inflateReset(&zs);
          continue;
        }
        return Status::DataLoss(name + ": " + std::to_string(remaining) +
                                " trailing bytes after stream member " + std::to_string(members));
      }
      case Z_BUF_ERROR:
        // No progress possible: with all input consumed, the stream is cut
        // short. (Output space is never the cause: each call gets a fresh chunk.)
        if (zs.avail_in == 0 && fed == input.size()) {
          return Status::OutOfRange(name + " stream truncated after " +
                                    std::to_string(input.size()) + " input bytes");
        }
        continue;
      case Z_NEED_DICT:
        return Status::DataLoss(name + " stream needs a preset dictionary (unsupported)");
      case Z_MEM_ERROR:
        return Status::ResourceExhausted(name + " inflate out of memory");
      case Z_DATA_ERROR:
      default:
        return Status::DataLoss(name + " stream corrupt at input byte " +
                                std::to_string(zs.total_in) + ": " +
                                (zs.msg ? zs.msg : "inflate error " + std::to_string(rc)));
    }
  }
}

}  // namespace

Result<std::string> GzipCompress(std::string_view input, int level) {
  return Compress(input, level, Wrapper::kGzip);
}

Result<std::string> ZlibCompress(std::string_view input, int level) {
  return Compress(input, level, Wrapper::kZlib);
}

Result<std::string> GzipDecompress(std::string_view input, size_t max_output) {
  return Decompress(input, max_output, Wrapper::kGzip);
}

Result<std::string> ZlibDecompress(std::string_view input, size_t max_output) {
  return Decompress(input, max_output, Wrapper::kZlib);
}

}  // namespace quartet::compress
