#include "server/store/logs/log_page_columns.h"

#include <zstd.h>

#include <algorithm>
#include <map>

#include "server/store/block/varint.h"
#include "server/store/block/zstd_context.h"

namespace quartet::store {
namespace {

Status Bad(std::string_view what) { return Status::InvalidArgument(std::string(what)); }

// Bytes needed for v (at least 1).
uint32_t WidthOf(uint64_t v) {
  uint32_t w = 1;
  while (w < 8 && (v >> (8 * w)) != 0) ++w;
  return w;
}

// Appends the values' byte planes: byte b of every value, for b < width.
void PutPlanes(std::span<const uint64_t> values, uint32_t width, std::string* out) {
  const size_t at = out->size();
  out->resize(at + values.size() * width);
  char* p = out->data() + at;
  for (uint32_t b = 0; b < width; ++b) {
    for (uint64_t v : values) *p++ = static_cast<char>(v >> (8 * b));
  }
}

std::string Compress(std::string_view bytes, int level) {
  std::string out;
  // Only invalid parameters fail (leaving it empty); the level is one of ours.
  (void)ZstdCompress(bytes, level, &out);
  return out;
}

// The frame's content, which must be exactly `size` bytes.
Status Decompress(std::string_view frame, size_t size, std::string* out) {
  const unsigned long long content = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content != size) return Bad("number column: wrong size");
  out->resize(size);
  if (!ZstdDecompressExactly(frame, size, out->data()).ok()) return Bad("number column: bad frame");
  return Status::Ok();
}

}  // namespace

std::string EncodePageTimes(std::span<const int64_t> timestamps) {
  std::string out;
  PutVarint64(&out, timestamps.size());
  if (timestamps.empty()) return out;
  PutVarint64(&out, ZigZagEncode(timestamps[0]));
  std::vector<uint64_t> deltas(timestamps.size() - 1);
  for (size_t i = 1; i < timestamps.size(); ++i) {
    deltas[i - 1] = static_cast<uint64_t>(timestamps[i]) - static_cast<uint64_t>(timestamps[i - 1]);
  }
  // The width that costs least, counting ~8 bytes per exception (a delta
  // that is negative or does not fit).
  uint32_t width = 8;
  size_t best = SIZE_MAX;
  for (uint32_t w = 1; w <= 8; ++w) {
    size_t cost = deltas.size() * w;
    for (uint64_t d : deltas) {
      if (w < 8 && (static_cast<int64_t>(d) < 0 || (d >> (8 * w)) != 0)) cost += 8;
    }
    if (cost < best) {
      best = cost;
      width = w;
    }
  }
  out.push_back(static_cast<char>(width));
  std::string exceptions;
  size_t count = 0, last = 0;
  for (size_t i = 0; i < deltas.size(); ++i) {
    const uint64_t d = deltas[i];
    if (width < 8 && (static_cast<int64_t>(d) < 0 || (d >> (8 * width)) != 0)) {
      PutVarint64(&exceptions, i - last);
      PutVarint64(&exceptions, ZigZagEncode(static_cast<int64_t>(d)));
      last = i;
      deltas[i] = 0;
      ++count;
    }
  }
  PutVarint64(&out, count);
  out += exceptions;
  PutPlanes(deltas, width, &out);
  return out;
}

Result<std::vector<int64_t>> DecodePageTimes(std::string_view in, size_t rows) {
  uint64_t n, first;
  if (!GetVarint64(&in, &n) || n != rows) return Bad("page times: wrong count");
  std::vector<int64_t> out;
  if (n == 0) {
    if (!in.empty()) return Bad("page times: trailing bytes");
    return out;
  }
  if (!GetVarint64(&in, &first) || in.empty()) return Bad("page times: truncated");
  const auto width = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  uint64_t count;
  if (width < 1 || width > 8 || !GetVarint64(&in, &count) || count > n - 1) {
    return Bad("page times: bad layout");
  }
  std::vector<uint64_t> deltas(n - 1, 0);
  std::vector<std::pair<size_t, uint64_t>> exceptions;
  size_t at = 0;
  for (uint64_t e = 0; e < count; ++e) {
    uint64_t gap, zz;
    if (!GetVarint64(&in, &gap) || !GetVarint64(&in, &zz)) return Bad("page times: truncated");
    if ((e > 0 && gap == 0) || gap >= n - 1 - at) return Bad("page times: exception out of range");
    at += gap;
    exceptions.emplace_back(at, static_cast<uint64_t>(ZigZagDecode(zz)));
  }
  if (in.size() != (n - 1) * width) return Bad("page times: wrong plane size");
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  for (uint32_t b = 0; b < width; ++b) {
    for (size_t i = 0; i < n - 1; ++i) deltas[i] |= uint64_t{*p++} << (8 * b);
  }
  for (const auto& [i, d] : exceptions) deltas[i] += d;  // written as 0 in the planes
  out.resize(n);
  uint64_t t = static_cast<uint64_t>(ZigZagDecode(first));
  out[0] = static_cast<int64_t>(t);
  for (size_t i = 1; i < n; ++i) out[i] = static_cast<int64_t>(t += deltas[i - 1]);
  return out;
}

std::string EncodeNumberColumns(std::string_view numbers, std::span<const uint32_t> counts,
                                int level) {
  std::map<uint32_t, std::vector<std::vector<LineNumber>>> columns;  // by count, then ordinal
  std::string count_bytes;
  for (uint32_t count : counts) {
    PutVarint64(&count_bytes, count);
    if (count == 0) continue;
    std::vector<std::vector<LineNumber>>& of = columns[count];
    of.resize(count);
    for (uint32_t o = 0; o < count; ++o) {
      LineNumber n;
      (void)ReadLineNumber(&numbers, &n);  // written just before: well formed
      of[o].push_back(n);
    }
  }
  std::string out;
  PutLengthPrefixed(&out, Compress(count_bytes, level));
  std::vector<uint64_t> values;
  std::string planes;
  for (const auto& [count, of] : columns) {
    for (const std::vector<LineNumber>& column : of) {
      uint64_t max = 0;
      bool zeros = false;
      values.clear();
      for (const LineNumber& n : column) {
        max = std::max(max, n.value);
        zeros = zeros || n.zeros != 0;
        values.push_back(n.value);
      }
      const uint32_t width = WidthOf(max);
      planes.clear();
      PutPlanes(values, width, &planes);
      if (zeros) {
        for (const LineNumber& n : column) planes.push_back(static_cast<char>(n.zeros));
      }
      out.push_back(static_cast<char>(width | (zeros ? 0x10 : 0)));
      PutLengthPrefixed(&out, Compress(planes, level));
    }
  }
  return out;
}

Status ParseNumberColumns(std::string_view section, size_t rows, std::vector<uint32_t>* counts,
                          std::vector<PackedNumberColumn>* columns) {
  std::string_view frame;
  if (!GetLengthPrefixed(&section, &frame)) return Bad("bad number counts");
  // A count takes at most 5 bytes.
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > rows * 5) {
    return Bad("bad number counts");
  }
  std::string bytes;
  RETURN_IF_ERROR(Decompress(frame, size, &bytes));
  std::string_view in = bytes;
  counts->resize(rows);
  for (uint32_t& c : *counts) {
    uint64_t v;
    if (!GetVarint64(&in, &v) || v > UINT32_MAX) return Bad("bad number counts");
    c = static_cast<uint32_t>(v);
  }
  if (!in.empty()) return Bad("wrong number of number counts");
  const std::vector<uint32_t> distinct = DistinctNumberCounts(*counts);
  // Every column takes at least 2 bytes: bounds them before allocating.
  uint64_t n = 0;
  for (uint32_t c : distinct) {
    if ((n += c) > section.size() / 2) return Bad("truncated number stream");
  }
  columns->assign(n, PackedNumberColumn());
  for (PackedNumberColumn& col : *columns) {
    if (section.empty()) return Bad("truncated number stream");
    const auto h = static_cast<uint8_t>(section[0]);
    section.remove_prefix(1);
    col.width = h & 0x0f;
    col.has_zeros = (h & 0x10) != 0;
    if (col.width < 1 || col.width > 8 || (h & 0xe0) != 0) return Bad("bad number column");
    if (!GetLengthPrefixed(&section, &col.frame)) return Bad("truncated number stream");
  }
  if (!section.empty()) return Bad("unused numbers");
  return Status::Ok();
}

std::vector<uint32_t> DistinctNumberCounts(std::span<const uint32_t> counts) {
  // Those under 256 are found with a table, not by sorting every row's.
  std::vector<uint32_t> distinct;
  uint8_t small[256] = {};
  for (uint32_t c : counts) {
    if (c >= 256) {
      distinct.push_back(c);
    } else if (c != 0 && small[c] == 0) {
      small[c] = 1;
      distinct.push_back(c);
    }
  }
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  return distinct;
}

Status CheckNumberColumn(const PackedNumberColumn& column, uint32_t entries) {
  const size_t size = size_t{entries} * (column.width + (column.has_zeros ? 1 : 0));
  if (ZSTD_getFrameContentSize(column.frame.data(), column.frame.size()) != size) {
    return Bad("number column: wrong size");
  }
  return Status::Ok();
}

Status UnpackNumberColumn(const PackedNumberColumn& column, uint32_t entries, std::string* out) {
  return Decompress(column.frame, size_t{entries} * (column.width + (column.has_zeros ? 1 : 0)),
                    out);
}

}  // namespace quartet::store
