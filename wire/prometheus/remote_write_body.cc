#include "wire/prometheus/remote_write_body.h"

#include <string>
#include <utility>

#include "wire/compress/snappy.h"

namespace quartet::prometheus::rw {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Status CheckRemoteWriteHeaders(std::string_view content_type, std::string_view content_encoding) {
  std::string_view encoding = Trim(content_encoding);
  if (!encoding.empty() && !EqualsIgnoreCase(encoding, "snappy")) {
    return Status::FailedPrecondition("remote_write: unsupported Content-Encoding \"" +
                                      std::string(encoding) + "\" (only snappy)");
  }
  std::string_view rest = content_type;
  if (Trim(rest).empty()) return Status::Ok();
  size_t semi = rest.find(';');
  std::string_view media = Trim(rest.substr(0, semi));
  if (!EqualsIgnoreCase(media, "application/x-protobuf")) {
    return Status::FailedPrecondition("remote_write: unsupported Content-Type \"" +
                                      std::string(content_type) +
                                      "\" (expected application/x-protobuf)");
  }
  while (semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
    semi = rest.find(';');
    std::string_view param = Trim(rest.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (!EqualsIgnoreCase(Trim(param.substr(0, eq)), "proto")) continue;
    std::string_view proto = Trim(param.substr(eq + 1));
    if (proto.size() >= 2 && proto.front() == '"' && proto.back() == '"') {
      proto = proto.substr(1, proto.size() - 2);
    }
    if (proto != "prometheus.WriteRequest") {
      return Status::FailedPrecondition("remote_write: unsupported proto message \"" +
                                        std::string(proto) +
                                        "\" (only prometheus.WriteRequest, remote_write 1.0)");
    }
  }
  return Status::Ok();
}

Result<WriteRequest> DecodeRemoteWriteBody(std::string_view content_type,
                                           std::string_view content_encoding, std::string_view body,
                                           size_t max_decompressed_bytes,
                                           const DecodeLimits& limits) {
  RETURN_IF_ERROR(CheckRemoteWriteHeaders(content_type, content_encoding));
  // SnappyDecompress reads the claimed length from the block header and
  // refuses it before allocating anything.
  Result<std::string> raw = compress::SnappyDecompress(body, max_decompressed_bytes);
  if (!raw.ok()) return raw.status().Annotate("remote_write body");
  return DecodeWriteRequest(*raw, limits);
}

Status DecodeRemoteWriteBodyView(std::string_view content_type, std::string_view content_encoding,
                                 std::string_view body, std::string* raw, WriteRequestView* out,
                                 size_t max_decompressed_bytes, const DecodeLimits& limits) {
  RETURN_IF_ERROR(CheckRemoteWriteHeaders(content_type, content_encoding));
  Result<std::string> decompressed = compress::SnappyDecompress(body, max_decompressed_bytes);
  if (!decompressed.ok()) return decompressed.status().Annotate("remote_write body");
  *raw = std::move(*decompressed);
  return DecodeWriteRequestView(*raw, out, limits);
}

std::string EncodeRemoteWriteBody(const WriteRequest& request) {
  return compress::SnappyCompress(EncodeWriteRequest(request));
}

}  // namespace quartet::prometheus::rw
