// HTTP instrumentation, framework-neutral: a request scope and the middleware
// chain tracing -> correlation -> metrics -> recovery around any handler, plus
// a client helper for outgoing calls. Adapters bind it to a server library
// (quartet/adapters/httplib.h for cpp-httplib).
//
//   quartet::http::Handler handler = quartet::http::Instrument(
//       [](quartet::http::Exchange& ex) { ex.Reply(200, "ok", "text/plain"); });
//
// What the chain does for one request:
//   tracing      extracts traceparent/tracestate/baggage, starts a SERVER span
//                named "<METHOD> <route template>" (never the raw path), makes
//                it current, sets http.* attributes and the status at the end;
//   correlation  takes X-Request-Id (or makes one), makes it current for logs,
//                records it on the span and echoes it in the response;
//   metrics      http_server_request_duration_seconds{method,route,status}
//                (with exemplars of the sampled span) and in-flight requests;
//   recovery     an exception from the handler becomes a 500, an error span
//                with an exception event and an error log line; the service
//                keeps serving.
// Thread-safety: an Exchange belongs to one request thread; Instrument()'s
// result may be called concurrently.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quartet/trace.h"

namespace quartet::http {

// One request/response as the middleware sees it; adapters implement it.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual std::string_view method() const = 0;
  virtual std::string_view path() const = 0;   // raw path, without query
  virtual std::string_view route() const = 0;  // template, e.g. "/orders/:id"
  virtual std::string_view scheme() const { return "http"; }
  // Case-insensitive lookup; nullopt when absent.
  virtual std::optional<std::string> request_header(std::string_view name) const = 0;
  virtual void set_response_header(std::string_view name, std::string_view value) = 0;
  virtual int status() const = 0;  // 0 until a handler replied
  virtual void Reply(int status, std::string body, std::string_view content_type) = 0;
};

using Handler = std::function<void(Exchange&)>;
using Middleware = std::function<void(Exchange&, const Handler& next)>;

// Composes middlewares around `handler`, the first one outermost.
Handler Chain(std::vector<Middleware> middlewares, Handler handler);

Middleware Tracing();
Middleware Correlation();
Middleware RequestMetrics();
Middleware Recovery();

// The standard chain: Chain({Tracing(), Correlation(), RequestMetrics(), Recovery()}, handler).
Handler Instrument(Handler handler);

// The request id of the request current on this thread ("" when none).
std::string_view CurrentRequestId() noexcept;

// Outgoing calls: starts a CLIENT span (child of the current span) named
// "<METHOD>" with url.full / server.address attributes, and produces the
// headers to send (traceparent, tracestate, baggage, X-Request-Id). Call
// End(status) when the response arrives (>= 500 or 0 marks an error).
class ClientCall {
 public:
  ClientCall(std::string_view method, std::string_view url) noexcept;
  ~ClientCall();
  ClientCall(const ClientCall&) = delete;
  ClientCall& operator=(const ClientCall&) = delete;

  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  Span& span() { return span_; }
  void End(int status_code) noexcept;

 private:
  Span span_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace quartet::http
