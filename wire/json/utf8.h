// UTF-8 decoding shared by the JSON writer and parser: one code point at a
// time, with ill-formed input mapped to U+FFFD using the Unicode "maximal
// subpart" rule (each maximal prefix of a would-be valid sequence becomes one
// U+FFFD), so every byte string has exactly one valid-UTF-8 rendering.
// Rejected per RFC 3629: overlong forms (C0, C1, E0 80-9F, F0 80-8F), UTF-16
// surrogates encoded in UTF-8 (ED A0-BF), code points above U+10FFFF (F4 90+,
// F5-FF) and stray continuation bytes. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace quartet::json {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Decodes the sequence starting at p (p < end; *p >= 0x80 is the interesting
// case). Returns the number of bytes consumed (>= 1) and sets *cp to the code
// point, or to kReplacementChar when the sequence is ill-formed.
size_t DecodeUtf8(const unsigned char* p, const unsigned char* end, uint32_t* cp) noexcept;

// Appends cp (<= 0x10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(std::string* out, uint32_t cp);

}  // namespace quartet::json
