// The HTTP middleware chain of quartet/http.h. The four layers share one
// per-request state through a thread-local pointer set by Tracing(), so each
// layer stays a plain function of (Exchange, next) and can be used alone.
#include <cxxabi.h>

#include <cstdlib>
#include <deque>
#include <memory>
#include <typeinfo>

#include "base/clock.h"
#include "base/hex.h"
#include "quartet/http.h"
#include "quartet/log.h"
#include "quartet/metrics.h"
#include "sdk/context/current.h"

namespace quartet::http {
namespace {

// What the layers of one request share; lives on the Tracing() frame.
struct RequestState {
  Span* span = nullptr;
  int64_t start_nanos = 0;
};
thread_local RequestState* tls_request = nullptr;

std::string Demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

// X-Request-Id values are echoed into logs and responses: accept only short,
// printable, header-safe ids; anything else is replaced by a fresh one.
bool UsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string NewRequestId() {
  // 16 random bytes; the span id generator's quality is not needed here.
  thread_local uint64_t state = static_cast<uint64_t>(MonotonicNanos()) ^
                                reinterpret_cast<uintptr_t>(&state) * 0x9e3779b97f4a7c15ULL;
  uint8_t bytes[16];
  for (int half = 0; half < 2; ++half) {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<uint8_t>(z >> (8 * i));
  }
  std::string out(32, '\0');
  HexEncode(bytes, 16, out.data());
  return out;
}

struct RequestMetricFamilies {
  HistogramFamily duration =
      Metrics().Histogram("http_server_request_duration_seconds",
                          "Duration of HTTP server requests.", {"method", "route", "status"});
  GaugeFamily active = Metrics().Gauge("http_server_active_requests",
                                       "HTTP server requests in flight.", {"method", "route"});
};

const RequestMetricFamilies& Families() {
  static const RequestMetricFamilies* families = new RequestMetricFamilies();
  return *families;
}

void Fail(Exchange& ex, std::string_view type, std::string_view message) {
  if (RequestState* state = tls_request; state != nullptr && state->span != nullptr) {
    state->span->RecordException(type, message);
    state->span->SetStatus(SpanStatus::kError, message);
  }
  Log().Error("unhandled exception in HTTP handler", {{"exception.type", type},
                                                      {"exception.message", message},
                                                      {"http.route", ex.route()},
                                                      {"http.request.method", ex.method()}});
  ex.Reply(500, "internal server error\n", "text/plain; charset=utf-8");
}

}  // namespace

Handler Chain(std::vector<Middleware> middlewares, Handler handler) {
  for (auto it = middlewares.rbegin(); it != middlewares.rend(); ++it) {
    handler = [middleware = std::move(*it), next = std::move(handler)](Exchange& ex) {
      middleware(ex, next);
    };
  }
  return handler;
}

Middleware Tracing() {
  return [](Exchange& ex, const Handler& next) {
    std::deque<std::string> values;  // keeps header values alive for Extract's views
    Context parent = Extract([&](std::string_view name) -> std::string_view {
      std::optional<std::string> v = ex.request_header(name);
      if (!v) return {};
      return values.emplace_back(std::move(*v));
    });
    std::string name(ex.method());
    name += ' ';
    name += ex.route();
    Span span = Tracer().StartSpan(name, {.kind = SpanKind::kServer,
                                          .parent = parent,
                                          .attributes = {{"http.request.method", ex.method()},
                                                         {"http.route", ex.route()},
                                                         {"url.path", ex.path()},
                                                         {"url.scheme", ex.scheme()}}});
    RequestState state{&span, UnixNanos()};
    RequestState* outer = tls_request;
    tls_request = &state;
    {
      Scope scope(parent.WithSpan(span));
      next(ex);
    }
    tls_request = outer;
    int status = ex.status() != 0 ? ex.status() : 200;
    span.SetAttribute("http.response.status_code", status);
    if (status >= 500) span.SetStatus(SpanStatus::kError);
  };
}

Middleware Correlation() {
  return [](Exchange& ex, const Handler& next) {
    std::optional<std::string> given = ex.request_header("x-request-id");
    std::string id = given && UsableRequestId(*given) ? std::move(*given) : NewRequestId();
    ex.set_response_header("X-Request-Id", id);
    if (RequestState* state = tls_request; state != nullptr && state->span != nullptr) {
      state->span->SetAttribute("request_id", id);
    }
    Scope scope(Context::Current().WithRequestId(id));
    next(ex);
  };
}

Middleware RequestMetrics() {
  return [](Exchange& ex, const Handler& next) {
    const RequestMetricFamilies& f = Families();
    Gauge active = f.active.WithLabels({ex.method(), ex.route()});
    int64_t start = tls_request != nullptr ? tls_request->start_nanos : UnixNanos();
    active.Inc();
    struct Finish {  // runs on every exit path, exceptions included
      Exchange& ex;
      Gauge& active;
      int64_t start;
      ~Finish() {
        active.Dec();
        int status = ex.status() != 0 ? ex.status() : 500;
        char code[12];
        std::snprintf(code, sizeof(code), "%d", status);
        // Observed inside the span's scope, so the bucket gets its exemplar.
        Families()
            .duration.WithLabels({ex.method(), ex.route(), code})
            .Observe(static_cast<double>(UnixNanos() - start) / 1e9);
      }
    } finish{ex, active, start};
    next(ex);
  };
}

Middleware Recovery() {
  return [](Exchange& ex, const Handler& next) {
    try {
      next(ex);
    } catch (const std::exception& e) {
      Fail(ex, Demangle(typeid(e).name()), e.what());
    } catch (...) {
      Fail(ex, "unknown", "a non-standard exception was thrown");
    }
  };
}

Handler Instrument(Handler handler) {
  return Chain({Tracing(), Correlation(), RequestMetrics(), Recovery()}, std::move(handler));
}

std::string_view CurrentRequestId() noexcept {
  const context_internal::Frame* frame = context_internal::Current();
  return frame != nullptr ? frame->request_id : std::string_view();
}

ClientCall::ClientCall(std::string_view method, std::string_view url) noexcept {
  std::string_view rest =
      url.substr(url.find("://") == std::string_view::npos ? 0 : url.find("://") + 3);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  span_ = Tracer().StartSpan(
      method, {.kind = SpanKind::kClient,
               .attributes = {
                   {"http.request.method", method}, {"url.full", url}, {"server.address", host}}});
  Inject(Context::Current().WithSpan(span_),
         [this](std::string_view k, std::string_view v) { headers_.emplace_back(k, v); });
  if (std::string_view id = CurrentRequestId(); !id.empty())
    headers_.emplace_back("X-Request-Id", id);
}

ClientCall::~ClientCall() { span_.End(); }

void ClientCall::End(int status_code) noexcept {
  if (status_code > 0) span_.SetAttribute("http.response.status_code", status_code);
  if (status_code == 0 || status_code >= 500) span_.SetStatus(SpanStatus::kError);
  span_.End();
}

}  // namespace quartet::http
