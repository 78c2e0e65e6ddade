// Lowercase hex encoding and strict decoding of byte strings (trace and span
// ids on the wire and in logs). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace quartet {

// Writes 2*n lowercase hex digits to out (not NUL-terminated).
void HexEncode(const uint8_t* bytes, size_t n, char* out);
std::string HexEncode(std::string_view bytes);
// Decodes exactly 2*n hex digits (either case) into out; false on any other input.
bool HexDecode(std::string_view hex, uint8_t* out, size_t n);
// True when every char is 0-9 or a-f (lowercase only, as W3C requires).
bool IsLowerHex(std::string_view s);

}  // namespace quartet
