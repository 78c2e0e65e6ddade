// Structured logging: quartet::Log().Info("db query", {{"rows", 42}}) writes
// one JSON object per line, stamped with the current trace context.
//
//   quartet::Log().Info("db query", {{"query", sql}, {"rows", rows}, {"duration", elapsed}});
//   quartet::Logger db = quartet::Log().With({{"component", "db"}});  // bound once
//   if (db.Enabled(quartet::LogLevel::kDebug)) db.Debug("plan", {{"text", Explain()}});
//
// Line format (docs/formats/log_lines.md), keys in this order:
//   {"time":"2026-11-25T23:41:07.123456789Z","level":"INFO","message":"db query",
//    "service":"checkout",<bound attributes>,<call attributes>,
//    "trace_id":"<32 hex>","span_id":"<16 hex>","sampled":true,"request_id":"r-1"}
// - trace_id/span_id/sampled appear when a valid span is current on the
//   calling thread; request_id whenever one is current (with or without span).
// - Attribute values: strings (escaped; ill-formed UTF-8 becomes U+FFFD),
//   integers of any type, doubles (NaN/Inf as strings), bools, and
//   std::chrono durations, written as a number of SECONDS (a double, e.g.
//   12.5ms -> 0.0125), the base unit Prometheus and OTel use.
// - Reserved keys: an attribute named time, level, message, service, trace_id,
//   span_id, sampled or request_id is written as "attr.<key>", so readers can
//   trust the reserved fields. Other duplicate keys (a call attribute repeating
//   a bound one) are written as given, bound first; JSON readers that keep the
//   last duplicate (JavaScript, Go, Loki's json stage) see the call's value.
// - Strings longer than 64 KiB are truncated; at most 64 attributes per call.
//
// Cost and threading: every method is noexcept, thread-safe, and never blocks
// on I/O. A disabled level costs one relaxed load. An enabled call copies a
// compact binary record into a bounded in-memory ring; a background thread
// formats and writes it. When the ring is full the record is dropped and
// counted (or, if configured, the caller waits for space); the count is
// reported in a later line. Before quartet::Init, Log() writes synchronously
// to stderr at level info with service "unknown_service".
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace quartet {

// Severity, ordered. OTel severity numbers: DEBUG 5, INFO 9, WARN 13, ERROR 17.
enum class LogLevel : uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" (or "warning"), "error", any case; nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view text) noexcept;
// "DEBUG", "INFO", "WARN", "ERROR" — the text of the "level" field.
std::string_view LogLevelName(LogLevel level) noexcept;
// The OpenTelemetry SeverityNumber of the level (5, 9, 13, 17).
int LogSeverityNumber(LogLevel level) noexcept;

// One key/value attribute. It only refers to the key and string data: build
// it in the call's argument list, where the referenced strings outlive it.
class LogAttr {
 public:
  enum class Type : uint8_t { kString, kInt, kUint, kDouble, kBool, kDuration };

  LogAttr(std::string_view key, std::string_view v) noexcept
      : key_(key), type_(Type::kString), s_(v) {}
  LogAttr(std::string_view key, const char* v) noexcept
      : LogAttr(key, v != nullptr ? std::string_view(v) : std::string_view()) {}
  LogAttr(std::string_view key, const std::string& v) noexcept
      : LogAttr(key, std::string_view(v)) {}
  template <std::signed_integral T>
  LogAttr(std::string_view key, T v) noexcept : key_(key), type_(Type::kInt), i_(v) {}
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) LogAttr(std::string_view key, T v)
  noexcept : key_(key), type_(Type::kUint), u_(v) {}
  LogAttr(std::string_view key, bool v) noexcept : key_(key), type_(Type::kBool), b_(v) {}
  LogAttr(std::string_view key, double v) noexcept : key_(key), type_(Type::kDouble), d_(v) {}
  LogAttr(std::string_view key, float v) noexcept : LogAttr(key, static_cast<double>(v)) {}
  template <typename Rep, typename Period>
  LogAttr(std::string_view key, std::chrono::duration<Rep, Period> v) noexcept
      : key_(key),
        type_(Type::kDuration),
        i_(std::chrono::duration_cast<std::chrono::nanoseconds>(v).count()) {}

  std::string_view key() const noexcept { return key_; }
  Type type() const noexcept { return type_; }
  std::string_view string_value() const noexcept { return s_; }
  int64_t int_value() const noexcept { return i_; }       // kInt
  uint64_t uint_value() const noexcept { return u_; }     // kUint
  double double_value() const noexcept { return d_; }     // kDouble
  bool bool_value() const noexcept { return b_; }         // kBool
  int64_t duration_nanos() const noexcept { return i_; }  // kDuration

 private:
  std::string_view key_;
  Type type_;
  union {
    std::string_view s_;
    int64_t i_;
    uint64_t u_;
    double d_;
    bool b_;
  };
};

class LogPipeline;  // sdk/log/log_pipeline.h
namespace log_internal {
struct BoundAttrs;
extern std::atomic<int> g_global_min_level;  // the installed pipeline's level
}  // namespace log_internal

// A handle for writing log lines, optionally carrying bound attributes. Cheap
// to copy (two shared pointers); thread-safe. A default-constructed Logger
// (and Log()) writes to whichever pipeline is installed at call time.
class Logger {
 public:
  Logger() noexcept = default;

  void Debug(std::string_view message, std::initializer_list<LogAttr> attrs = {}) const noexcept {
    if (Enabled(LogLevel::kDebug)) Write(LogLevel::kDebug, message, attrs);
  }
  void Info(std::string_view message, std::initializer_list<LogAttr> attrs = {}) const noexcept {
    if (Enabled(LogLevel::kInfo)) Write(LogLevel::kInfo, message, attrs);
  }
  void Warn(std::string_view message, std::initializer_list<LogAttr> attrs = {}) const noexcept {
    if (Enabled(LogLevel::kWarn)) Write(LogLevel::kWarn, message, attrs);
  }
  void Error(std::string_view message, std::initializer_list<LogAttr> attrs = {}) const noexcept {
    if (Enabled(LogLevel::kError)) Write(LogLevel::kError, message, attrs);
  }
  // For levels and attribute lists decided at run time.
  void Log(LogLevel level, std::string_view message,
           std::initializer_list<LogAttr> attrs) const noexcept {
    if (Enabled(level)) Write(level, message, attrs);
  }
  void Log(LogLevel level, std::string_view message,
           std::span<const LogAttr> attrs = {}) const noexcept {
    if (Enabled(level)) Write(level, message, attrs);
  }

  // True when a line at this level would be written (use it to skip
  // computing expensive attributes).
  bool Enabled(LogLevel level) const noexcept {
    return static_cast<int>(level) >= min_level_->load(std::memory_order_relaxed);
  }

  // A child logger whose lines carry attrs after this logger's bound ones.
  // The attributes are copied and rendered once, here.
  Logger With(std::initializer_list<LogAttr> attrs) const noexcept;

 private:
  friend class LogPipeline;
  void Write(LogLevel level, std::string_view message,
             std::span<const LogAttr> attrs) const noexcept;

  std::shared_ptr<LogPipeline> pipeline_;  // null: the installed (global) pipeline
  std::shared_ptr<const log_internal::BoundAttrs> bound_;
  const std::atomic<int>* min_level_ = &log_internal::g_global_min_level;
};

// The process-wide logger. Valid at any time, including before Init and
// after Shutdown (then lines go synchronously to stderr).
Logger& Log() noexcept;

}  // namespace quartet
