#include "wire/http/url_encoded.h"

namespace quartet::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Untrusted text for an error message: printable ASCII only, bounded.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

Result<std::string> PercentDecodeStrict(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("malformed percent-escape at byte " + std::to_string(i));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::string> DecodePath(std::string_view path) {
  ASSIGN_OR_RETURN(std::string out, PercentDecodeStrict(path, /*plus_as_space=*/false));
  if (out.find('\0') != std::string::npos) {
    return Status::InvalidArgument("encoded NUL byte in path");
  }
  return out;
}

Status ParseUrlEncoded(std::string_view in, Params* out) {
  while (!in.empty()) {
    size_t amp = in.find('&');
    std::string_view piece = in.substr(0, amp);
    in = amp == std::string_view::npos ? std::string_view() : in.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view raw_key = piece.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
    auto key = PercentDecodeStrict(raw_key, true);
    if (!key.ok()) return key.status().Annotate("in a parameter name");
    auto value = PercentDecodeStrict(raw_value, true);
    if (!value.ok())
      return value.status().Annotate("in the value of parameter '" + Printable(*key) + "'");
    out->emplace_back(std::move(key).value(), std::move(value).value());
  }
  return Status::Ok();
}

}  // namespace quartet::http
