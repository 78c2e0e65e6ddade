// Decoding of percent-encoded URL parts: request paths, query strings and
// application/x-www-form-urlencoded bodies (WHATWG URL standard, section 5,
// "application/x-www-form-urlencoded"). Strict: a '%' not followed by two hex
// digits is an error naming its position, as Go's net/url (what Prometheus,
// Loki and Tempo use) rejects it, so a client gets a 400 rather than a query
// over silently different text.
//
// '+' means a space in query strings as in form bodies: both are the same
// format, and Go clients such as promtool encode spaces as '+' in GET query
// strings. In paths '+' is literal.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace quartet::http {

using Params = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX escapes (and '+' as space when `plus_as_space`). Errors:
// InvalidArgument for a malformed escape.
Result<std::string> PercentDecodeStrict(std::string_view in, bool plus_as_space);

// Decodes a request path ("/api/traces/ab%2Fc" -> "/api/traces/ab/c").
// Errors: InvalidArgument for a malformed escape or an encoded NUL.
Result<std::string> DecodePath(std::string_view path);

// Parses "a=1&b=x+y&a=%2F&flag" into {{"a","1"},{"b","x y"},{"a","/"},
// {"flag",""}}, appending to *out in input order (repeated keys are kept,
// e.g. Prometheus' match[]). Empty pieces ("a=1&&b=2") are skipped. Both
// query strings and form bodies use this. Errors: InvalidArgument naming the
// offending key, for a malformed escape; *out may then hold earlier pairs.
Status ParseUrlEncoded(std::string_view in, Params* out);

}  // namespace quartet::http
