// Status and Result<T>: how fallible code in quartet reports failure without
// exceptions. A Status is OK or carries a code and a message naming the
// problem; Result<T> is a value or a non-OK Status. Both are cheap to move and
// [[nodiscard]]. Immutable once made; safe to share across threads.
//
//   Result<Span> DecodeSpan(std::string_view in);
//   RETURN_IF_ERROR(writer.Flush());
//   ASSIGN_OR_RETURN(auto span, DecodeSpan(bytes));
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace quartet {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  // bad input: the caller must change it (HTTP 400)
  kNotFound,
  kOutOfRange,         // truncated input, index past the end
  kResourceExhausted,  // a bound was hit: queue full, too large (429/413)
  kUnavailable,        // transient: retry later (503)
  kDeadlineExceeded,
  kDataLoss,  // corruption detected (checksum mismatch)
  kFailedPrecondition,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status OutOfRange(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) {
    return {StatusCode::kDeadlineExceeded, std::move(msg)};
  }
  static Status DataLoss(std::string msg) { return {StatusCode::kDataLoss, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  std::string_view message() const {
    return rep_ ? std::string_view(rep_->message) : std::string_view();
  }
  // "INVALID_ARGUMENT: span 3: trace_id must be 16 bytes" (or "OK").
  std::string ToString() const;
  // A copy with `context + ": "` in front of the message, for errors passed up.
  Status Annotate(std::string_view context) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null when OK: an OK status costs nothing
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace quartet

#define QUARTET_CONCAT_INNER(a, b) a##b
#define QUARTET_CONCAT(a, b) QUARTET_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)       \
  do {                              \
    ::quartet::Status _st = (expr); \
    if (!_st.ok()) return _st;      \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(QUARTET_CONCAT(_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
