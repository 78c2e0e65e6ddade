// Base64 (RFC 4648) for bytes inside JSON: OTLP/JSON bytesValue, ids in
// Tempo's trace JSON. Encoding uses the standard alphabet with padding;
// decoding accepts the standard and URL-safe alphabets, with or without
// padding. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace quartet {

std::string Base64Encode(std::string_view bytes);
// False (and *out unspecified) on a character outside both alphabets or an
// impossible length.
bool Base64Decode(std::string_view in, std::string* out);

}  // namespace quartet
