// The request and response values that quartetd's HTTP handlers see, and the
// handler signature. A handler gets a fully received request — body already
// de-chunked and decompressed, path percent-decoded, parameters parsed — and
// returns a whole response; the server (http_server.h) frames it, adds Date and
// Content-Length, gzips it for clients that accept gzip, and handles HEAD.
//
// Thread-safety: plain values. A request is owned by the worker thread running
// the handler and is valid only during the call (remote_address points into
// the connection).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quartet::server {

struct HttpRequest {
  std::string method;     // as sent, e.g. "GET"
  std::string path;       // percent-decoded, without the query
  std::string raw_query;  // after '?', still encoded; "" when absent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;                 // after Transfer-Encoding and Content-Encoding decoding
  std::string_view remote_address;  // "127.0.0.1:53122" or "[::1]:53122"

  // Filled by the server: ":name" captures of the matched route (decoded), and
  // the decoded parameters: those of an application/x-www-form-urlencoded POST
  // body first, then those of the query string (Go's Request.Form order, which
  // Prometheus, Loki and Tempo follow), repeated keys in order.
  std::vector<std::pair<std::string, std::string>> path_params;
  std::vector<std::pair<std::string, std::string>> params;
  // Non-empty when a form-encoded POST body did not parse (its message names
  // the problem); params then hold only the query string's. Handlers that
  // take form parameters should reply 400 with it.
  std::string form_error;

  // The first value of header `lower_name`, "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  // The value captured by ":name" in the route pattern, "" when absent.
  std::string_view PathParam(std::string_view name) const;
  // The first value of parameter `name` (form body, then query string).
  std::optional<std::string> Param(std::string_view name) const;
  // Every value of parameter `name`, in order (e.g. "match[]").
  std::vector<std::string> Params(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // omitted when empty
  std::string body;
  // Extra headers (e.g. Retry-After, Allow, Content-Encoding). The server owns
  // Date, Content-Length, Connection and Transfer-Encoding and drops those, and
  // drops any header whose name or value could split the response (CR, LF).
  std::vector<std::pair<std::string, std::string>> headers;

  // "text/plain; charset=utf-8".
  static HttpResponse Text(int status, std::string body);
  // "application/json".
  static HttpResponse Json(int status, std::string body);
  static HttpResponse Bytes(int status, std::string content_type, std::string body);
};

// Runs on a server worker thread; may block (e.g. on an fsync), which delays
// only the connections of that worker. An exception becomes a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// The reason phrase for a status code ("Not Found"), "Unknown" if unlisted.
std::string_view ReasonPhrase(int status);

}  // namespace quartet::server
