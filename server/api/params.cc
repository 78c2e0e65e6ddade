#include "server/api/params.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "base/duration.h"
#include "wire/json/json_writer.h"

namespace quartet::api {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ParseFixedInt(std::string_view s, int* out) {
  if (!AllDigits(s)) return false;
  *out = 0;
  for (char c : s) *out = *out * 10 + (c - '0');
  return true;
}

// "2026-11-25T10:00:00.123Z" / "+01:00" offsets.
bool ParseRfc3339(std::string_view s, int64_t* ns) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return false;
  }
  int year, month, day, hour, minute, second;
  if (!ParseFixedInt(s.substr(0, 4), &year) || !ParseFixedInt(s.substr(5, 2), &month) ||
      !ParseFixedInt(s.substr(8, 2), &day) || !ParseFixedInt(s.substr(11, 2), &hour) ||
      !ParseFixedInt(s.substr(14, 2), &minute) || !ParseFixedInt(s.substr(17, 2), &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        frac_ns = frac_ns * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) frac_ns *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh, om;
    if (!ParseFixedInt(s.substr(pos + 1, 2), &oh) || !ParseFixedInt(s.substr(pos + 4, 2), &om)) {
      return false;
    }
    offset_s = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const int64_t seconds = static_cast<int64_t>(timegm(&tm)) - offset_s;
  // Nanoseconds in an int64 reach the years 1677..2262.
  if (seconds <= INT64_MIN / 1'000'000'000 || seconds >= INT64_MAX / 1'000'000'000) return false;
  *ns = seconds * 1'000'000'000 + frac_ns;
  return true;
}

}  // namespace

Result<int64_t> ParseTime(std::string_view text) {
  if (AllDigits(text)) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a timestamp");
    }
    if (text.size() > 10) return v;
    if (v >= INT64_MAX / 1'000'000'000) {
      return Status::InvalidArgument("timestamp \"" + std::string(text) + "\" is out of range");
    }
    return v * 1'000'000'000;
  }
  int64_t ns = 0;
  if (ParseRfc3339(text, &ns)) return ns;
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size() && std::isfinite(seconds) &&
      std::abs(seconds) < 9.2e9) {
    return static_cast<int64_t>(std::llround(seconds * 1e9));
  }
  return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                 "\" to a timestamp (want unix seconds, unix nanoseconds or "
                                 "RFC 3339)");
}

namespace {

Status ParamError(std::string_view name, const Status& status) {
  return Status::InvalidArgument("invalid parameter \"" + std::string(name) +
                                 "\": " + std::string(status.message()));
}

}  // namespace

Result<int64_t> TimeParam(const server::HttpRequest& request, std::string_view name,
                          int64_t fallback) {
  std::optional<std::string> v = request.Param(name);
  if (!v || v->empty()) return fallback;
  Result<int64_t> t = ParseTime(*v);
  if (!t.ok()) return ParamError(name, t.status());
  return t;
}

Result<int64_t> DurationParam(const server::HttpRequest& request, std::string_view name,
                              int64_t fallback) {
  std::optional<std::string> v = request.Param(name);
  if (!v || v->empty()) return fallback;
  Result<int64_t> d = ParseDuration(*v);
  if (!d.ok()) return ParamError(name, d.status());
  return d;
}

Result<std::optional<int64_t>> OptionalIntParam(const server::HttpRequest& request,
                                                std::string_view name) {
  std::optional<std::string> v = request.Param(name);
  if (!v || v->empty()) return std::optional<int64_t>();
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return ParamError(name, Status::InvalidArgument("\"" + *v + "\" is not an integer"));
  }
  return std::optional<int64_t>(out);
}

Result<int64_t> IntParam(const server::HttpRequest& request, std::string_view name,
                         int64_t fallback) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, OptionalIntParam(request, name));
  if (!v) return fallback;
  if (*v < 0) {
    return ParamError(name, Status::InvalidArgument("\"" + std::to_string(*v) +
                                                    "\" is not a non-negative integer"));
  }
  return *v;
}

server::HttpResponse ApiError(int status, std::string_view error_type, std::string_view message) {
  std::string body = "{\"status\":\"error\",\"errorType\":";
  json::AppendString(&body, error_type);
  body += ",\"error\":";
  json::AppendString(&body, message);
  body += '}';
  return server::HttpResponse::Json(status, std::move(body));
}

server::HttpResponse ApiSuccess(std::string data_json) {
  return server::HttpResponse::Json(200, "{\"status\":\"success\",\"data\":" + data_json + "}");
}

void AppendUnixSeconds(std::string* out, int64_t ns) {
  const int64_t seconds = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) frac = -frac;
  json::AppendInt(out, seconds);
  if (frac == 0) return;
  char digits[10];
  std::snprintf(digits, sizeof digits, "%09lld", static_cast<long long>(frac));
  std::string_view d(digits, 9);
  while (d.back() == '0') d.remove_suffix(1);
  out->push_back('.');
  out->append(d);
}

}  // namespace quartet::api
