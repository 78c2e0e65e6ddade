// Small string helpers shared by the HTTP, configuration and exposition code:
// trimming HTTP whitespace, ASCII lower-casing, percent-decoding and the
// RFC 9110 token test. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace quartet {

// Removes leading and trailing spaces and tabs (HTTP's OWS).
std::string_view TrimSpace(std::string_view s);
// Lower-cases A-Z only; other bytes are kept.
std::string AsciiLower(std::string_view s);
// Decodes %XX escapes; a '%' not followed by two hex digits is kept literally,
// as the W3C baggage and OTEL_* list decoders do.
std::string PercentDecode(std::string_view s);
// True for a non-empty RFC 9110 token (what a header name may be).
bool IsHttpToken(std::string_view s);

}  // namespace quartet
