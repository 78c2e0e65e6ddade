// Tracing API: spans, the current context of a thread, explicit contexts for
// async code, baggage, and W3C propagation over any header carrier.
//
//   auto span = quartet::Tracer().StartSpan("GET /checkout",
//       {.kind = quartet::SpanKind::kServer, .attributes = {{"http.route", "/checkout"}}});
//   quartet::Scope scope(span);     // logs and metrics on this thread now see the span
//   span.SetAttribute("rows", int64_t{42});
//   // ~Scope, then ~Span ends the span (or call span.End()).
//
//   quartet::Inject(quartet::Context::Current(),
//       [&](std::string_view k, std::string_view v) { request.SetHeader(k, v); });
//   quartet::Context parent = quartet::Extract(
//       [&](std::string_view k) { return request.Header(k); });
//
// Until the SDK installs a provider (quartet::Init), Tracer() is a no-op that
// still propagates the parent's context. Every entry point is noexcept and
// never blocks: spans are exported by a background thread.
//
// Thread-safety: Tracer, Context and Baggage are safe to share between threads
// (Context and Baggage are immutable values). A Span handle is not
// synchronized: use it from one thread at a time, and end it before the
// provider that created it is destroyed. A Scope belongs to the thread that
// created it and must be destroyed in LIFO order on that thread.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "quartet/context.h"

namespace quartet {

namespace trace_internal {
struct SpanRecord;
class TracerProvider;
}  // namespace trace_internal

enum class SpanKind : uint8_t { kInternal, kServer, kClient, kProducer, kConsumer };

// OTLP status codes: kUnset 0, kOk 1, kError 2.
enum class SpanStatus : uint8_t { kUnset, kOk, kError };

// An attribute value viewed, not owned: a string, int64, double or bool.
// The SDK copies what it keeps. Any integer type converts to int64.
class AttributeValue {
 public:
  enum class Type : uint8_t { kString, kInt, kDouble, kBool };

  AttributeValue(std::string_view v) noexcept : type_(Type::kString), str_(v) {}    // NOLINT
  AttributeValue(const char* v) noexcept : type_(Type::kString), str_(v) {}         // NOLINT
  AttributeValue(const std::string& v) noexcept : type_(Type::kString), str_(v) {}  // NOLINT
  AttributeValue(bool v) noexcept : type_(Type::kBool), bool_(v) {}                 // NOLINT
  AttributeValue(double v) noexcept : type_(Type::kDouble), double_(v) {}           // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool>) AttributeValue(T v)
  noexcept : type_(Type::kInt), int_(static_cast<int64_t>(v)) {}  // NOLINT

  Type type() const noexcept { return type_; }
  std::string_view string_value() const noexcept { return str_; }
  int64_t int_value() const noexcept { return int_; }
  double double_value() const noexcept { return double_; }
  bool bool_value() const noexcept { return bool_; }

 private:
  Type type_;
  std::string_view str_;
  union {
    int64_t int_ = 0;
    double double_;
    bool bool_;
  };
};

struct Attribute {
  std::string_view key;
  AttributeValue value;
};

class Context;
class Span;

// An immutable list of key/value pairs (W3C Baggage) carried with a Context.
// Copying costs one reference count; Set/Remove return a new Baggage.
class Baggage {
 public:
  struct Entry {
    std::string key;
    std::string value;
    std::string metadata;  // W3C properties after ';', usually empty
  };

  Baggage() = default;

  // The value of the first entry with `key`, if any.
  std::optional<std::string_view> Get(std::string_view key) const noexcept;
  // A copy with `key` set to `value` (replacing earlier entries of that key).
  Baggage Set(std::string_view key, std::string_view value,
              std::string_view metadata = {}) const noexcept;
  Baggage Remove(std::string_view key) const noexcept;
  const std::vector<Entry>& entries() const noexcept;
  bool empty() const noexcept { return entries_ == nullptr || entries_->empty(); }

 private:
  friend class Context;
  std::shared_ptr<const std::vector<Entry>> entries_;
};

// What makes a unit of work traceable and attributable: the span context,
// the request id users quote, and baggage. An immutable value, cheap to copy
// (no allocation): capture it to carry the context across threads or into
// async callbacks, then make it current there with a Scope.
class Context {
 public:
  Context() = default;

  // A snapshot of this thread's current context (empty when none).
  static Context Current() noexcept;

  Context WithSpan(const Span& span) const noexcept;
  Context WithSpanContext(const SpanContext& span_context) const noexcept;
  Context WithRequestId(std::string_view request_id) const noexcept;
  Context WithBaggage(Baggage baggage) const noexcept;

  const SpanContext& span_context() const noexcept { return span_; }
  std::string_view request_id() const noexcept {
    return request_id_ ? std::string_view(*request_id_) : std::string_view();
  }
  const Baggage& baggage() const noexcept { return baggage_; }

 private:
  friend class Scope;
  SpanContext span_;
  std::shared_ptr<const std::string> request_id_;
  Baggage baggage_;
};

// Which span a new span descends from. Default: this thread's current span.
// An explicit Context or SpanContext with an invalid span context, or Root(),
// starts a new trace.
class SpanParent {
 public:
  SpanParent() noexcept = default;
  SpanParent(const Context& context) noexcept
      : explicit_(true), context_(context.span_context()) {}                               // NOLINT
  SpanParent(const SpanContext& context) noexcept : explicit_(true), context_(context) {}  // NOLINT
  static SpanParent Root() noexcept { return SpanParent(SpanContext{}); }

 private:
  friend class Tracer;
  bool explicit_ = false;
  SpanContext context_;
};

struct Link {
  SpanContext context;
  std::initializer_list<Attribute> attributes = {};
};

struct SpanOptions {
  SpanKind kind = SpanKind::kInternal;
  SpanParent parent = {};
  // Seen by the sampler (e.g. http.route for always-sampled routes).
  std::initializer_list<Attribute> attributes = {};
  std::initializer_list<Link> links = {};
  int64_t start_unix_nanos = 0;  // 0: now
};

// A handle to one span: move-only; ends the span when destroyed. A span the
// sampler dropped is non-recording: its setters do nothing, but its context
// is valid (same trace id, own span id, not sampled) so propagation goes on.
class Span {
 public:
  Span() noexcept = default;  // invalid, non-recording
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { End(); }

  void SetAttribute(std::string_view key, AttributeValue value) noexcept;
  void AddEvent(std::string_view name, std::initializer_list<Attribute> attributes = {}) noexcept;
  void AddEvent(std::string_view name, std::span<const Attribute> attributes) noexcept;
  void AddLink(const SpanContext& context,
               std::initializer_list<Attribute> attributes = {}) noexcept;
  // kError/kOk with a message; a later kUnset is ignored and kOk is final (OTel rules).
  void SetStatus(SpanStatus status, std::string_view message = {}) noexcept;
  // Adds an "exception" event with exception.type and exception.message.
  void RecordException(std::string_view type, std::string_view message) noexcept;
  void UpdateName(std::string_view name) noexcept;
  // Ends the span (idempotent); end_unix_nanos 0 means now.
  void End(int64_t end_unix_nanos = 0) noexcept {
    if (record_ != nullptr) EndRecording(end_unix_nanos);
  }

  const SpanContext& context() const noexcept { return context_; }
  bool IsRecording() const noexcept { return record_ != nullptr; }

 private:
  friend class Tracer;
  friend class Scope;
  friend class trace_internal::TracerProvider;
  void EndRecording(int64_t end_unix_nanos) noexcept;

  trace_internal::SpanRecord* record_ = nullptr;
  SpanContext context_;
};

// Starts spans. Obtain the process-wide one with quartet::Tracer().
class Tracer {
 public:
  Tracer() noexcept = default;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Starts a span (ended by Span::End or the handle's destructor). A span
  // started while this thread's context has a request id carries it as the
  // attribute `request_id`.
  Span StartSpan(std::string_view name, const SpanOptions& options = {}) noexcept;

 private:
  friend class trace_internal::TracerProvider;
  std::atomic<trace_internal::TracerProvider*> provider_{nullptr};
};

// The process-wide tracer (a no-op until the SDK installs a provider). The
// function shares the class's name: write `quartet::Tracer().StartSpan(...)`,
// and `class Tracer` for the type.
Tracer& Tracer() noexcept;

// Makes a span or a Context current on this thread until destroyed. Frames
// live inside the Scope: no allocation. The span must not end before the
// Scope is destroyed; scopes nest and must be destroyed in LIFO order.
class Scope {
 public:
  explicit Scope(const Span& span) noexcept;
  explicit Scope(const Context& context) noexcept;
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void Push(void* recording_span) noexcept;

  Context context_;
  // A context_internal::Frame (sdk/context/current.h), opaque here so that
  // the installed headers need no SDK internals.
  alignas(void*) unsigned char frame_[6 * sizeof(void*)];
};

// A non-owning reference to a callable; keeps the carrier interface
// allocation-free. The callable must outlive the call it is passed to.
template <typename Signature>
class FunctionRef;
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
  requires(!std::same_as<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>) FunctionRef(F&& f)
  noexcept  // NOLINT: implicit by design
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// Sets one header on the outgoing carrier.
using HeaderSetter = FunctionRef<void(std::string_view name, std::string_view value)>;
// Returns one header of the incoming carrier ("" when absent; several headers
// of the same name joined with ","). Names are asked for in lowercase.
using HeaderGetter = FunctionRef<std::string_view(std::string_view name)>;

// Writes traceparent (+ tracestate, baggage when present) for `context`.
// Nothing is written for an invalid span context except baggage.
void Inject(const Context& context, HeaderSetter set) noexcept;
// Reads traceparent/tracestate/baggage. An invalid traceparent yields no span
// context (a new trace starts); an invalid tracestate is dropped alone.
Context Extract(HeaderGetter get) noexcept;

}  // namespace quartet
