#include "sdk/metrics/validation.h"

namespace quartet::metrics_internal {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Status ValidateMetricName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("metric name is empty");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c));
    if (!ok) {
      return Status::InvalidArgument("metric name \"" + std::string(name) +
                                     "\": invalid character at offset " + std::to_string(i) +
                                     " (allowed: [a-zA-Z_:][a-zA-Z0-9_:]*)");
    }
  }
  if (name.starts_with("__")) {
    return Status::InvalidArgument("metric name \"" + std::string(name) +
                                   "\": names starting with \"__\" are reserved");
  }
  return Status::Ok();
}

Status ValidateLabelName(std::string_view name, bool histogram) {
  if (name.empty()) return Status::InvalidArgument("label name is empty");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c));
    if (!ok) {
      return Status::InvalidArgument("label name \"" + std::string(name) +
                                     "\": invalid character at offset " + std::to_string(i) +
                                     " (allowed: [a-zA-Z_][a-zA-Z0-9_]*)");
    }
  }
  if (name.starts_with("__")) {
    return Status::InvalidArgument("label name \"" + std::string(name) +
                                   "\": names starting with \"__\" are reserved");
  }
  if (histogram && name == "le") {
    return Status::InvalidArgument("label name \"le\" is reserved on histograms");
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string SanitizeLabelName(std::string_view key) {
  if (key.empty()) return "key";
  std::string out;
  if (IsDigit(key[0])) out = "key_";
  for (char c : key) out.push_back(IsAlpha(c) || IsDigit(c) || c == '_' ? c : '_');
  while (out.starts_with("__")) out.erase(0, 1);
  return out;
}

}  // namespace quartet::metrics_internal
