// The log block's line codec (server/store/logs/log_line_codec.h).
//
// Input: byte 0 picks the mode, bytes 1..32 the row (time, trace id, span id;
// an all-zero id is "none"), the rest is the line.
//   mode even: the line (where bytes 0xf1..0xf5 stand for the row's trace id,
//     span id, nanosecond and millisecond RFC 3339 time and epoch
//     milliseconds, so the fuzzer reaches the regions) must round-trip
//     exactly, and a needle cut from the input must match the encoded line
//     exactly when it matches the line if the codec says it may.
//   mode odd: the rest is untrusted encoded text and side stream: decoding
//     must fail cleanly or give a line that re-encodes and decodes to itself.
// Both codec versions run on every input: version 1 (blocks before number
// regions) and version 2 (numbers in their own stream; in mode odd the side
// stream's first byte splits it into hex runs and numbers).
#include <stdint.h>
#include <string.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/logs/log_line_codec.h"
#include "server/store/logs/log_page_columns.h"

namespace {

using quartet::store::LineRow;

void Check(bool ok) {
  if (!ok) abort();
}

std::string Hex(const uint8_t* bytes, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

void CheckNumberColumns(std::string_view numbers);

std::string RoundTrip(std::string_view line, const LineRow& row, bool v2) {
  std::string text, side, numbers, out;
  quartet::store::EncodeLogLine(line, row, &text, &side, v2 ? &numbers : nullptr);
  std::string_view in = side, num = numbers;
  Check(quartet::store::DecodeLogLine(text, row, &in, &out, v2 ? &num : nullptr).ok());
  Check(in.empty() && num.empty());
  Check(out == line);
  in = side;
  num = numbers;
  Check(quartet::store::SkipLogLine(text, &in, v2 ? &num : nullptr).ok());
  Check(in.empty() && num.empty());
  if (v2) CheckNumberColumns(numbers);
  return text;
}

// The line's numbers as a page of two rows (the line's numbers, then its
// first number again) through the packed number columns: every entry reads
// back as written.
void CheckNumberColumns(std::string_view numbers) {
  using namespace quartet::store;
  std::vector<LineNumber> want;
  for (std::string_view in = numbers; !in.empty();) {
    Check(ReadLineNumber(&in, &want.emplace_back()).ok());
  }
  std::string stream(numbers);
  if (!want.empty())
    stream.append(numbers.substr(
        0, numbers.size() - [&] {
          std::string_view in = numbers;
          LineNumber n;
          (void)ReadLineNumber(&in, &n);
          return in.size();
        }()));
  const uint32_t counts[] = {static_cast<uint32_t>(want.size()), want.empty() ? 0u : 1u};
  const std::string section = EncodeNumberColumns(stream, counts, 3);
  std::vector<uint32_t> got_counts;
  std::vector<PackedNumberColumn> columns;
  Check(ParseNumberColumns(section, 2, &got_counts, &columns).ok());
  Check(got_counts[0] == counts[0] && got_counts[1] == counts[1]);
  // Columns by (count, ordinal): a one-number line shares its column.
  for (size_t o = 0; o < want.size(); ++o) {
    const size_t c = want.size() == 1 ? 0 : 1 + o;
    const uint32_t entries = want.size() == 1 ? 2 : 1;
    Check(c < columns.size() && CheckNumberColumn(columns[c], entries).ok());
    std::string planes;
    Check(UnpackNumberColumn(columns[c], entries, &planes).ok());
    LineNumber n;
    Check(PackedNumberAt(planes, columns[c].width, columns[c].has_zeros, entries, 0, &n));
    Check(n.value == want[o].value && n.zeros == want[o].zeros);
  }
}

// Timestamps from the input's bytes round-trip through `pN.time`, and the
// bytes themselves as a `pN.time` section decode or fail cleanly.
void CheckTimes(const uint8_t* data, size_t size) {
  std::vector<int64_t> times(size / 8);
  if (!times.empty()) memcpy(times.data(), data, times.size() * 8);
  // Mostly rising times, as pages hold: every other input keeps the low bytes only.
  if (size % 2 == 0) {
    for (size_t i = 1; i < times.size(); ++i) times[i] = times[i - 1] + (times[i] & 0xffffff);
  }
  auto decoded =
      quartet::store::DecodePageTimes(quartet::store::EncodePageTimes(times), times.size());
  Check(decoded.ok() && *decoded == times);
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  for (size_t rows : {size_t{0}, size_t{1}, size / 3}) {
    auto any = quartet::store::DecodePageTimes(raw, rows);
    Check(!any.ok() || any->size() == rows);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckTimes(data, size);
  if (size < 33) return 0;
  const uint8_t mode = data[0];
  LineRow row;
  memcpy(&row.timestamp_ns, data + 1, 8);
  memcpy(row.trace_id.bytes.data(), data + 9, 16);
  memcpy(row.span_id.bytes.data(), data + 25, 8);
  std::string_view rest(reinterpret_cast<const char*>(data + 33), size - 33);

  if (mode % 2 == 0) {
    std::string time9, time3;
    quartet::store::RenderRfc3339(row.timestamp_ns, 9, &time9);
    quartet::store::RenderRfc3339(row.timestamp_ns, 3, &time3);
    const std::string epoch = std::to_string(row.timestamp_ns / 1'000'000);
    std::string line;
    for (char c : rest) {
      switch (static_cast<uint8_t>(c)) {
        case 0xf1:
          line += Hex(row.trace_id.bytes.data(), 16);
          break;
        case 0xf2:
          line += Hex(row.span_id.bytes.data(), 8);
          break;
        case 0xf3:
          line += time9;
          break;
        case 0xf4:
          line += time3;
          break;
        case 0xf5:
          line += epoch;
          break;
        default:
          line += c;
      }
    }
    const std::string text = RoundTrip(line, row, false);
    const std::string text2 = RoundTrip(line, row, true);
    // The needle: a piece of the line chosen by the mode byte's high bits.
    if (!line.empty()) {
      const size_t at = (mode >> 1) % line.size();
      const std::string_view needle = std::string_view(line).substr(at, (mode >> 4) + 1);
      if (quartet::store::NeedleMatchesEncodedExactly(needle)) {
        Check(text.find(needle) != std::string::npos);
      }
      if (quartet::store::NeedleMatchesEncodedExactly(needle, true)) {
        Check(text2.find(needle) != std::string::npos);
      }
      const std::string_view other = rest.substr(0, (mode >> 3) % (rest.size() + 1));
      if (quartet::store::NeedleMatchesEncodedExactly(other)) {
        Check((text.find(other) != std::string::npos) == (line.find(other) != std::string::npos));
      }
      if (quartet::store::NeedleMatchesEncodedExactly(other, true)) {
        Check((text2.find(other) != std::string::npos) == (line.find(other) != std::string::npos));
      }
      // A needle with a safe head: every match is a candidate.
      const size_t k = quartet::store::NeedleSafeHead(other);
      if (k != std::string_view::npos && line.find(other) != std::string::npos &&
          text.find(other) == std::string::npos) {
        bool candidate = false;
        const std::string_view head = other.substr(0, k);
        for (size_t at = text.find(head); !candidate && at != std::string::npos;
             at = text.find(head, at + 1)) {
          candidate = at + k < text.size() && static_cast<uint8_t>(text[at + k]) <= 0x07;
        }
        Check(candidate);
      }
    }
    return 0;
  }
  // Untrusted encoded text: the first byte of the rest splits text from side.
  if (rest.empty()) return 0;
  const size_t split = static_cast<uint8_t>(rest[0]) % rest.size();
  const std::string_view text = rest.substr(1, split), side = rest.substr(1 + split);
  std::string out;
  std::string_view in = side;
  if (quartet::store::DecodeLogLine(text, row, &in, &out).ok()) RoundTrip(out, row, false);
  if (side.empty()) return 0;
  const size_t cut = static_cast<uint8_t>(side[0]) % side.size();
  const std::string_view hex = side.substr(1, cut), numbers = side.substr(1 + cut);
  std::string_view num = numbers;
  in = hex;
  out.clear();
  if (quartet::store::DecodeLogLine(text, row, &in, &out, &num).ok()) {
    RoundTrip(out, row, true);
    // Skipping agrees with decoding on what the line takes from the streams.
    std::string_view skip_in = hex, skip_num = numbers;
    Check(quartet::store::SkipLogLine(text, &skip_in, &skip_num).ok());
    Check(skip_in.size() == in.size() && skip_num.size() == num.size());
  }
  return 0;
}
