#include "sdk/log/log_line.h"

#include <bit>
#include <chrono>

#include "wire/json/json_writer.h"

namespace quartet::log_internal {
namespace {

void Append2(int v, char* p) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Days since 1970-01-01 to a proleptic Gregorian date (the era-based
// civil-from-days algorithm described by Howard Hinnant).
void CivilFromDays(int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (*month <= 2 ? 1 : 0));
}

const char kHex[] = "0123456789abcdef";

}  // namespace

bool IsReservedKey(std::string_view key) {
  switch (key.size()) {
    case 4:
      return key == "time";
    case 5:
      return key == "level";
    case 7:
      return key == "message" || key == "service" || key == "span_id" || key == "sampled";
    case 8:
      return key == "trace_id";
    case 10:
      return key == "request_id";
    default:
      return false;
  }
}

uint64_t AttrBits(const LogAttr& a) {
  switch (a.type()) {
    case LogAttr::Type::kString:
      return 0;
    case LogAttr::Type::kInt:
      return static_cast<uint64_t>(a.int_value());
    case LogAttr::Type::kUint:
      return a.uint_value();
    case LogAttr::Type::kDouble:
      return std::bit_cast<uint64_t>(a.double_value());
    case LogAttr::Type::kBool:
      return a.bool_value() ? 1 : 0;
    case LogAttr::Type::kDuration:
      return static_cast<uint64_t>(a.duration_nanos());
  }
  return 0;
}

LogAttr MakeAttr(LogAttr::Type type, std::string_view key, std::string_view str, uint64_t bits) {
  switch (type) {
    case LogAttr::Type::kString:
      break;
    case LogAttr::Type::kInt:
      return LogAttr(key, static_cast<int64_t>(bits));
    case LogAttr::Type::kUint:
      return LogAttr(key, bits);
    case LogAttr::Type::kDouble:
      return LogAttr(key, std::bit_cast<double>(bits));
    case LogAttr::Type::kBool:
      return LogAttr(key, bits != 0);
    case LogAttr::Type::kDuration:
      return LogAttr(key, std::chrono::nanoseconds(static_cast<int64_t>(bits)));
  }
  return LogAttr(key, str);
}

void AppendRfc3339Nanos(int64_t unix_nanos, std::string* out) {
  int64_t secs = unix_nanos / 1'000'000'000;
  int64_t nanos = unix_nanos % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int year, month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[32];
  buf[0] = '"';
  year = year < 0 ? 0 : (year > 9999 ? 9999 : year);
  Append2(year / 100, buf + 1);
  Append2(year % 100, buf + 3);
  buf[5] = '-';
  Append2(month, buf + 6);
  buf[8] = '-';
  Append2(day, buf + 9);
  buf[11] = 'T';
  Append2(static_cast<int>(sod / 3600), buf + 12);
  buf[14] = ':';
  Append2(static_cast<int>(sod / 60 % 60), buf + 15);
  buf[17] = ':';
  Append2(static_cast<int>(sod % 60), buf + 18);
  buf[20] = '.';
  for (int i = 29; i >= 21; --i) {
    buf[i] = static_cast<char>('0' + nanos % 10);
    nanos /= 10;
  }
  buf[30] = 'Z';
  buf[31] = '"';
  out->append(buf, 32);
}

void AppendAttr(const LogAttr& attr, std::string* out) {
  out->append(IsReservedKey(attr.key()) ? ",\"attr." : ",\"");
  json::AppendEscaped(out, attr.key());
  out->append("\":");
  switch (attr.type()) {
    case LogAttr::Type::kString:
      json::AppendString(out, attr.string_value());
      break;
    case LogAttr::Type::kInt:
      json::AppendInt(out, attr.int_value());
      break;
    case LogAttr::Type::kUint:
      json::AppendUint(out, attr.uint_value());
      break;
    case LogAttr::Type::kDouble:
      json::AppendDouble(out, attr.double_value());
      break;
    case LogAttr::Type::kBool:
      json::AppendBool(out, attr.bool_value());
      break;
    case LogAttr::Type::kDuration:
      json::AppendDouble(out, static_cast<double>(attr.duration_nanos()) / 1e9);
      break;
  }
}

void AppendLogLine(const LineFields& f, std::string* out) {
  out->append("{\"time\":");
  AppendRfc3339Nanos(f.time_unix_nano, out);
  out->append(",\"level\":\"");
  out->append(LogLevelName(f.level));
  out->append("\",\"message\":");
  json::AppendString(out, f.message);
  out->append(",\"service\":");
  out->append(f.service_json);
  out->append(f.bound_json);
  for (const LogAttr& a : f.attrs) AppendAttr(a, out);
  if (f.has_span) {
    char ids[32 + 16];
    static_assert(sizeof(f.trace_id.bytes) == 16 && sizeof(f.span_id.bytes) == 8);
    for (int i = 0; i < 16; ++i) {
      ids[2 * i] = kHex[f.trace_id.bytes[i] >> 4];
      ids[2 * i + 1] = kHex[f.trace_id.bytes[i] & 0xF];
    }
    for (int i = 0; i < 8; ++i) {
      ids[32 + 2 * i] = kHex[f.span_id.bytes[i] >> 4];
      ids[32 + 2 * i + 1] = kHex[f.span_id.bytes[i] & 0xF];
    }
    out->append(",\"trace_id\":\"");
    out->append(ids, 32);
    out->append("\",\"span_id\":\"");
    out->append(ids + 32, 16);
    out->append(f.sampled ? "\",\"sampled\":true" : "\",\"sampled\":false");
  }
  if (!f.request_id.empty()) {
    out->append(",\"request_id\":");
    json::AppendString(out, f.request_id);
  }
  out->append("}\n");
}

}  // namespace quartet::log_internal
