// The log block's line codec (docs/formats/logs.md, "Line codec"): a
// lossless rewrite of a log line (or a structured-metadata value) that drops
// the high-entropy text the row already stores or that packs better as
// bytes. Most of a typical line's incompressible bytes are ids and times
// spelled out as text: the row's own trace id and span id in lowercase hex,
// its own timestamp as RFC 3339 or epoch milliseconds, and other random hex
// (request ids). The codec replaces them with one control byte each; other
// hex runs go to a side stream as raw bytes, and (version 2) decimal numbers
// to a number stream as varints. Decoding re-renders them from the row and
// the streams, so the line comes back byte for byte, whatever it holds.
//
// Encoded text is the line with these changes: each region (below) becomes
// one byte 0x01..0x07 (0x08 in version 2), and every line byte up to the
// last code is written as 0x00 followed by that byte. So a needle that passes
// NeedleMatchesEncodedExactly() matches an encoded line exactly when it
// matches the decoded line: a substring filter runs on encoded text and
// decodes only what it delivers.
//
// Thread-safety: pure functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "quartet/context.h"

namespace quartet::store {

// The fields of a row a line may spell out. Invalid ids are never
// referenced.
struct LineRow {
  int64_t timestamp_ns = 0;
  TraceId trace_id;
  SpanId span_id;
};

// Region codes. A region is a maximal piece of the line preceded and followed
// by a byte that is not ASCII alphanumeric (or by the line's start or end).
enum LineCode : uint8_t {
  kLineEscape = 0x00,       // next byte (0x00..0x07) is literal
  kLineTraceId = 0x01,      // the row's trace id, 32 lowercase hex digits
  kLineSpanId = 0x02,       // the row's span id, 16 lowercase hex digits
  kLineTimeNanos = 0x03,    // the row's time, UTC "2006-01-02T15:04:05.123456789Z"
  kLineTimeMicros = 0x04,   // ... with 6 fraction digits (truncated)
  kLineTimeMillis = 0x05,   // ... with 3 fraction digits (truncated)
  kLineHexRun = 0x06,       // a lowercase hex run of even length >= 16, from the side stream
  kLineEpochMillis = 0x07,  // the row's time in whole milliseconds since 1970, 13 digits
  kLineNumber = 0x08,       // (version 2) a decimal number, from the number stream
};
// Version 1 (blocks before the number stream) uses codes 0x00..0x07 and
// escapes line bytes 0x00..0x07; version 2 adds kLineNumber and escapes
// 0x00..0x08.
inline constexpr uint8_t kLineLastCode = 0x07;
inline constexpr uint8_t kLineLastCodeV2 = 0x08;
inline constexpr size_t kLineMinHexRun = 16;
// Version 2 number regions: a word of 1..18 ASCII digits, stored as
// varint(value << 1 | has leading zeros), then varint(leading zeros) if it
// has ("007": value 7, 2 zeros; "0": value 0, none).
inline constexpr size_t kLineMaxNumberDigits = 18;

// Appends the encoding of `line` to *text and its packed hex runs to *side
// (each as varint byte count, then the bytes). With `numbers` (version 2),
// number regions become kLineNumber and their values are appended to
// *numbers as varints; without (version 1), digits stay in the text.
void EncodeLogLine(std::string_view line, const LineRow& row, std::string* text, std::string* side,
                   std::string* numbers = nullptr);

// Appends the decoding of `text` to *out, taking its hex runs from the front
// of *side (which advances). InvalidArgument names what is malformed: a
// dangling or bad escape, a reference the row cannot satisfy, a truncated
// side stream.
// `numbers` is the version-2 number stream (advances likewise); null for
// version-1 text, where 0x08 is a literal byte.
Status DecodeLogLine(std::string_view text, const LineRow& row, std::string_view* side,
                     std::string* out, std::string_view* numbers = nullptr);

// A number-stream entry, parsed: `zeros` zeros, then the digits of `value`.
struct LineNumber {
  uint64_t value = 0;
  uint64_t zeros = 0;
};
// Takes one entry off the front of *in; InvalidArgument ("truncated number
// stream", "number out of range") as DecodeLogLine.
Status ReadLineNumber(std::string_view* in, LineNumber* number);
// 10^k for k <= kLineMaxNumberDigits.
inline constexpr auto kLinePow10 = [] {
  std::array<uint64_t, kLineMaxNumberDigits + 1> p{};
  p[0] = 1;
  for (size_t k = 1; k < p.size(); ++k) p[k] = p[k - 1] * 10;
  return p;
}();
// Whether `n` renders in at most kLineMaxNumberDigits digits, zeros
// included (what a number region can hold).
inline bool LineNumberInRange(const LineNumber& n) {
  return n.zeros < kLineMaxNumberDigits && n.value < kLinePow10[kLineMaxNumberDigits - n.zeros];
}
// DecodeLogLine and SkipLogLine with the numbers already parsed (a page
// parses its stream once): the line's numbers are taken off the front of
// *numbers.
Status DecodeLogLine(std::string_view text, const LineRow& row, std::string_view* side,
                     std::string* out, std::span<const LineNumber>* numbers);

// Advances *side past the hex runs the encoded line `text` takes from it,
// without decoding (to find where a later line's runs start); the same
// InvalidArgument as DecodeLogLine for a dangling escape or a short side
// stream.
Status SkipLogLine(std::string_view text, std::string_view* side,
                   std::string_view* numbers = nullptr);
Status SkipLogLine(std::string_view text, std::string_view* side,
                   std::span<const LineNumber>* numbers);

// True when `needle` occurs in an encoded line exactly when it occurs in the
// decoded line, so a filter may search encoded text. False when a match
// could overlap a region (for example `"status":500`, whose digits could
// begin a hex region) or the needle holds a control byte: decode first.
// With `numbers` (version-2 text) a needle is also refused when a number
// region could start or end inside a match: any needle with a digit after a
// non-alphanumeric byte or at its start (`u-12345"`, `:1234,`).
bool NeedleMatchesEncodedExactly(std::string_view needle, bool numbers = false);

// The number regions every version-2 encoded line containing `needle`
// holds, as number-stream entries (varint bytes, as EncodeLogLine writes
// them): the needle's digit words of at most 12 digits with, inside the
// needle, a non-alphanumeric byte before and one other than '-', ':', '.'
// after (`u-12345"` -> 12345, `"user_id":1234,` -> 1234; not `"status":500`,
// whose word may go on, nor `"2024-` which may be in a time). A page whose
// number stream lacks one has no line with the needle.
std::vector<std::string> NumbersInNeedle(std::string_view needle);

// For a needle refused above only because its tail could begin a region
// (`"status":500`: a region may start at the `5`), the length k of the head
// that cannot touch one; else npos. The needle then occurs in a decoded line
// exactly when it occurs in the encoded line, or when needle[0, k) occurs
// there followed by a byte 0x00..0x07 and the decoded line holds the needle.
size_t NeedleSafeHead(std::string_view needle);

// The renderings the codec compares against (exposed for tests): UTC RFC
// 3339 with `digits` (3, 6 or 9) fraction digits and 'Z'; false when the
// year is outside 0000..9999.
bool RenderRfc3339(int64_t unix_nanos, int digits, std::string* out);

}  // namespace quartet::store
