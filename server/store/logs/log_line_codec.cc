#include "server/store/logs/log_line_codec.h"

#include <string.h>

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

constexpr size_t kMinRegion = 13;  // the shortest region: 13 epoch-millisecond digits

bool IsAlnum(uint8_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}
bool IsLowerHex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
// Every byte any region can hold.
bool InRegionAlphabet(uint8_t c) {
  return IsLowerHex(c) || c == 'T' || c == 'Z' || c == ':' || c == '.' || c == '-';
}

// Two lowercase hex digits per byte value.
struct HexPairs {
  char pair[256][2];
  constexpr HexPairs() : pair() {
    constexpr char kDigits[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      pair[b][0] = kDigits[b >> 4];
      pair[b][1] = kDigits[b & 15];
    }
  }
};
constexpr HexPairs kHexPairs;

void ToHex(const uint8_t* bytes, size_t n, char* out) {
  for (size_t i = 0; i < n; ++i) memcpy(out + 2 * i, kHexPairs.pair[bytes[i]], 2);
}

// "00".."99".
struct DecimalPairs {
  char pair[100][2];
  constexpr DecimalPairs() : pair() {
    for (int v = 0; v < 100; ++v) {
      pair[v][0] = static_cast<char>('0' + v / 10);
      pair[v][1] = static_cast<char>('0' + v % 10);
    }
  }
};
constexpr DecimalPairs kDecimalPairs;

void Append2(int v, char* out) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

// Writes "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (30 bytes); false when the year is
// outside 0000..9999.
bool RenderTime(int64_t unix_nanos, char* buf) {
  int64_t secs = unix_nanos / 1'000'000'000;
  int64_t nanos = unix_nanos % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Rows come in time order: the text of the last second is kept per thread.
  thread_local int64_t cached_secs = INT64_MIN;
  thread_local char cached[19];
  thread_local bool cached_ok = false;
  if (secs != cached_secs) {
    cached_secs = secs;
    // Civil date from days since 1970-01-01 (proleptic Gregorian, 400-year eras).
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    cached_ok = year >= 0 && year <= 9999;
    if (cached_ok) {
      Append2(static_cast<int>(year / 100), cached);
      Append2(static_cast<int>(year % 100), cached + 2);
      cached[4] = '-';
      Append2(month, cached + 5);
      cached[7] = '-';
      Append2(day, cached + 8);
      cached[10] = 'T';
      Append2(static_cast<int>(sod / 3600), cached + 11);
      cached[13] = ':';
      Append2(static_cast<int>(sod / 60 % 60), cached + 14);
      cached[16] = ':';
      Append2(static_cast<int>(sod % 60), cached + 17);
    }
  }
  if (!cached_ok) return false;
  memcpy(buf, cached, 19);
  buf[19] = '.';
  const auto frac = static_cast<uint32_t>(nanos);
  buf[20] = static_cast<char>('0' + frac / 100'000'000);
  memcpy(buf + 21, kDecimalPairs.pair[frac / 1'000'000 % 100], 2);
  memcpy(buf + 23, kDecimalPairs.pair[frac / 10'000 % 100], 2);
  memcpy(buf + 25, kDecimalPairs.pair[frac / 100 % 100], 2);
  memcpy(buf + 27, kDecimalPairs.pair[frac % 100], 2);
  buf[29] = 'Z';
  return true;
}

// The row's renderings, computed on first use (most lines need none).
class Renderings {
 public:
  explicit Renderings(const LineRow& row) : row_(row) {}

  // The row's time with 9 fraction digits and 'Z' (30 bytes); the 6- and
  // 3-digit forms are its first 26 and 23 bytes followed by 'Z'. Null when
  // the year is outside 0000..9999.
  const char* Time() {
    if (!time_done_) {
      time_done_ = true;
      time_ok_ = RenderTime(row_.timestamp_ns, time_);
    }
    return time_ok_ ? time_ : nullptr;
  }
  const std::string* EpochMillis() {
    if (!epoch_done_) {
      epoch_done_ = true;
      const int64_t ms = row_.timestamp_ns / 1'000'000;
      if (row_.timestamp_ns >= 0 && ms >= 1'000'000'000'000 && ms < 10'000'000'000'000) {
        epoch_ = std::to_string(ms);
      }
    }
    return epoch_.empty() ? nullptr : &epoch_;
  }
  const char* Trace() {
    if (!row_.trace_id.valid()) return nullptr;
    if (!trace_done_) {
      trace_done_ = true;
      ToHex(row_.trace_id.bytes.data(), 16, trace_);
    }
    return trace_;
  }
  const char* Span() {
    if (!row_.span_id.valid()) return nullptr;
    if (!span_done_) {
      span_done_ = true;
      ToHex(row_.span_id.bytes.data(), 8, span_);
    }
    return span_;
  }

 private:
  const LineRow& row_;
  bool time_done_ = false, time_ok_ = false, epoch_done_ = false;
  bool trace_done_ = false, span_done_ = false;
  char time_[30];
  std::string epoch_;
  char trace_[32];
  char span_[16];
};

// True when line[end] is a region boundary (not alphanumeric, or the end).
bool EndsAt(std::string_view line, size_t end) {
  return end >= line.size() || !IsAlnum(static_cast<uint8_t>(line[end]));
}

// The region starting at line[i] (a hex digit after a boundary): its length
// and code, 0 when there is none.
size_t MatchRegion(std::string_view line, size_t i, Renderings* r, uint8_t* code, size_t* run_len) {
  const size_t n = line.size();
  if (IsDigit(static_cast<uint8_t>(line[i]))) {
    if (i + 4 < n && line[i + 4] == '-') {
      static constexpr struct {
        size_t digits;
        LineCode code;
      } kTimes[] = {{9, kLineTimeNanos}, {6, kLineTimeMicros}, {3, kLineTimeMillis}};
      const char* t = r->Time();
      for (const auto& f : kTimes) {
        if (t == nullptr) break;
        const size_t len = 20 + f.digits;  // without the 'Z'
        if (i + len < n && memcmp(line.data() + i, t, len) == 0 && line[i + len] == 'Z' &&
            EndsAt(line, i + len + 1)) {
          *code = f.code;
          return len + 1;
        }
      }
    }
  }
  size_t j = i;
  while (j < n && IsLowerHex(static_cast<uint8_t>(line[j]))) ++j;
  const size_t len = j - i;
  *run_len = len;
  if (len < kMinRegion || !EndsAt(line, j)) return 0;
  const char* p = line.data() + i;
  if (len == 13) {
    const std::string* ms = r->EpochMillis();
    if (ms != nullptr && memcmp(p, ms->data(), 13) == 0) {
      *code = kLineEpochMillis;
      return 13;
    }
  }
  if (len == 32) {
    const char* t = r->Trace();
    if (t != nullptr && memcmp(p, t, 32) == 0) {
      *code = kLineTraceId;
      return 32;
    }
  }
  if (len == 16) {
    const char* s = r->Span();
    if (s != nullptr && memcmp(p, s, 16) == 0) {
      *code = kLineSpanId;
      return 16;
    }
  }
  if (len >= kLineMinHexRun && len % 2 == 0) {
    *code = kLineHexRun;
    return len;
  }
  return 0;
}

uint8_t Nibble(char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); }

// The first byte in [p, end) that is <= last (kLineLastCode or
// kLineLastCodeV2), or end.
const char* FindControl(const char* p, const char* end, uint8_t last) {
#if defined(__SSE2__)
  const __m128i limit = _mm_set1_epi8(static_cast<char>(last));
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // v <= last exactly when min(v, last) == v (unsigned).
    const int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, limit), v));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p<end&& static_cast<uint8_t>(*p)> last) ++p;
  return p;
}

// The length of the number region at line[i] (a digit after a boundary), 0
// when the word there is not one, with its value and leading zeros (the
// zeros before the value's own rendering: "007" is 7 after 2, "00" 0 after 1).
size_t MatchNumber(std::string_view line, size_t i, uint64_t* value, uint64_t* zeros) {
  const size_t n = line.size();
  size_t j = i;
  uint64_t v = 0;
  while (j < n && IsDigit(static_cast<uint8_t>(line[j])) && j - i < kLineMaxNumberDigits) {
    v = v * 10 + static_cast<uint64_t>(line[j] - '0');
    ++j;
  }
  if (!EndsAt(line, j)) return 0;
  size_t z = i;
  while (z + 1 < j && line[z] == '0') ++z;
  *value = v;
  *zeros = z - i;
  return j - i;
}

// Appends `zeros` zeros and the decimal digits of v.
void AppendNumber(uint64_t v, uint64_t zeros, std::string* out) {
  if (zeros != 0) out->append(zeros, '0');
  char buf[20];
  char* p = buf + sizeof buf;
  while (v >= 100) {
    p -= 2;
    memcpy(p, kDecimalPairs.pair[v % 100], 2);
    v /= 100;
  }
  if (v >= 10) {
    p -= 2;
    memcpy(p, kDecimalPairs.pair[v], 2);
  } else {
    *--p = static_cast<char>('0' + v);
  }
  out->append(p, buf + sizeof buf - p);
}

// A number's entry in the number stream: varint(value << 1 | has zeros),
// then varint(zeros) if it has.
void PutNumber(uint64_t value, uint64_t zeros, std::string* numbers) {
  PutVarint64(numbers, value << 1 | (zeros != 0 ? 1 : 0));
  if (zeros != 0) PutVarint64(numbers, zeros);
}

// ReadLineNumber, declared for the helpers below.
}  // namespace
Status ReadLineNumber(std::string_view* in, LineNumber* number);
namespace {

// The next number of a stream (varints) or of parsed numbers; null: none.
Status NextNumber(std::string_view* numbers, LineNumber* n) {
  if (numbers == nullptr) return Status::InvalidArgument("line codec: truncated number stream");
  return ReadLineNumber(numbers, n);
}
Status NextNumber(std::span<const LineNumber>* numbers, LineNumber* n) {
  if (numbers == nullptr || numbers->empty()) {
    return Status::InvalidArgument("line codec: truncated number stream");
  }
  *n = numbers->front();
  *numbers = numbers->subspan(1);
  return Status::Ok();
}

}  // namespace

bool RenderRfc3339(int64_t unix_nanos, int digits, std::string* out) {
  char buf[30];
  if (!RenderTime(unix_nanos, buf)) return false;
  out->assign(buf, 20 + digits);
  out->push_back('Z');
  return true;
}

void EncodeLogLine(std::string_view line, const LineRow& row, std::string* text, std::string* side,
                   std::string* numbers) {
  const uint8_t last = numbers != nullptr ? kLineLastCodeV2 : kLineLastCode;
  Renderings r(row);
  const size_t n = line.size();
  size_t i = 0, lit = 0;  // [lit, i) is pending verbatim text
  auto flush = [&] { text->append(line.data() + lit, i - lit); };
  while (i < n) {
    const auto c = static_cast<uint8_t>(line[i]);
    if (c <= last) {
      flush();
      text->push_back(static_cast<char>(kLineEscape));
      text->push_back(static_cast<char>(c));
      lit = ++i;
      continue;
    }
    if (!IsLowerHex(c) || (i > 0 && IsAlnum(static_cast<uint8_t>(line[i - 1])))) {
      ++i;
      continue;
    }
    uint8_t code = 0;
    size_t run = 0;
    const size_t len = MatchRegion(line, i, &r, &code, &run);
    if (len == 0 && numbers != nullptr && IsDigit(c)) {
      uint64_t value, zeros;
      const size_t digits = MatchNumber(line, i, &value, &zeros);
      if (digits != 0) {
        flush();
        text->push_back(static_cast<char>(kLineNumber));
        PutNumber(value, zeros, numbers);
        lit = i += digits;
        continue;
      }
    }
    if (len == 0) {
      // No region starts inside this alphanumeric word either.
      i += std::max<size_t>(run, 1);
      while (i < n && IsAlnum(static_cast<uint8_t>(line[i]))) ++i;
      continue;
    }
    flush();
    text->push_back(static_cast<char>(code));
    if (code == kLineHexRun) {
      PutVarint64(side, len / 2);
      for (size_t k = i; k < i + len; k += 2) {
        side->push_back(static_cast<char>(Nibble(line[k]) << 4 | Nibble(line[k + 1])));
      }
    }
    lit = i += len;
  }
  flush();
}

namespace {

template <typename Numbers>
Status Decode(std::string_view text, const LineRow& row, std::string_view* side, std::string* out,
              Numbers* numbers) {
  Renderings r(row);
  const uint8_t last = numbers != nullptr ? kLineLastCodeV2 : kLineLastCode;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* q = FindControl(p, end, last);
    out->append(p, q - p);
    if (q == end) break;
    const auto code = static_cast<uint8_t>(*q++);
    switch (code) {
      case kLineEscape:
        if (q == end) return Status::InvalidArgument("line codec: dangling escape");
        if (static_cast<uint8_t>(*q) > last) {
          return Status::InvalidArgument("line codec: escape of a byte that needs none");
        }
        out->push_back(*q++);
        break;
      case kLineNumber: {
        LineNumber n;
        RETURN_IF_ERROR(NextNumber(numbers, &n));
        AppendNumber(n.value, n.zeros, out);
        break;
      }
      case kLineTraceId: {
        const char* t = r.Trace();
        if (t == nullptr)
          return Status::InvalidArgument("line codec: trace id of a row without one");
        out->append(t, 32);
        break;
      }
      case kLineSpanId: {
        const char* s = r.Span();
        if (s == nullptr)
          return Status::InvalidArgument("line codec: span id of a row without one");
        out->append(s, 16);
        break;
      }
      case kLineTimeNanos:
      case kLineTimeMicros:
      case kLineTimeMillis: {
        const char* t = r.Time();
        if (t == nullptr) return Status::InvalidArgument("line codec: time outside years 0-9999");
        out->append(t, code == kLineTimeNanos ? 29 : code == kLineTimeMicros ? 26 : 23);
        out->push_back('Z');
        break;
      }
      case kLineEpochMillis: {
        const std::string* s = r.EpochMillis();
        if (s == nullptr) return Status::InvalidArgument("line codec: epoch millis not 13 digits");
        out->append(*s);
        break;
      }
      case kLineHexRun: {
        uint64_t bytes;
        if (!GetVarint64(side, &bytes) || bytes < kLineMinHexRun / 2 || bytes > side->size()) {
          return Status::InvalidArgument("line codec: truncated hex side stream");
        }
        const size_t at = out->size();
        out->resize(at + 2 * bytes);
        ToHex(reinterpret_cast<const uint8_t*>(side->data()), bytes, out->data() + at);
        side->remove_prefix(bytes);
        break;
      }
    }
    p = q;
  }
  return Status::Ok();
}

}  // namespace

Status DecodeLogLine(std::string_view text, const LineRow& row, std::string_view* side,
                     std::string* out, std::string_view* numbers) {
  return Decode(text, row, side, out, numbers);
}
Status DecodeLogLine(std::string_view text, const LineRow& row, std::string_view* side,
                     std::string* out, std::span<const LineNumber>* numbers) {
  return Decode(text, row, side, out, numbers);
}

Status ReadLineNumber(std::string_view* in, LineNumber* number) {
  // 10^k: a value of at most 18 - zeros digits is below kPow10[18 - zeros].
  static constexpr auto kPow10 = [] {
    std::array<uint64_t, kLineMaxNumberDigits + 1> p{};
    p[0] = 1;
    for (size_t k = 1; k < p.size(); ++k) p[k] = p[k - 1] * 10;
    return p;
  }();
  uint64_t v;
  if (!in->empty() && static_cast<uint8_t>((*in)[0]) < 0x80) {  // most numbers: one byte
    v = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
  } else if (!GetVarint64(in, &v)) {
    return Status::InvalidArgument("line codec: truncated number stream");
  }
  number->value = v >> 1;
  number->zeros = 0;
  if ((v & 1) != 0 && !GetVarint64(in, &number->zeros)) {
    return Status::InvalidArgument("line codec: truncated number stream");
  }
  if (((v & 1) != 0 && (number->zeros == 0 || number->zeros >= kLineMaxNumberDigits)) ||
      number->value >= kPow10[kLineMaxNumberDigits - number->zeros]) {
    return Status::InvalidArgument("line codec: number out of range");
  }
  return Status::Ok();
}

namespace {

template <typename Numbers>
Status Skip(std::string_view text, std::string_view* side, Numbers* numbers) {
  const uint8_t last = numbers != nullptr ? kLineLastCodeV2 : kLineLastCode;
  const char* p = text.data();
  const char* end = p + text.size();
  while ((p = FindControl(p, end, last)) != end) {
    const auto code = static_cast<uint8_t>(*p++);
    if (code == kLineEscape) {
      if (p == end) return Status::InvalidArgument("line codec: dangling escape");
      ++p;
    } else if (code == kLineNumber) {
      LineNumber n;
      RETURN_IF_ERROR(NextNumber(numbers, &n));
    } else if (code == kLineHexRun) {
      uint64_t bytes;
      if (!GetVarint64(side, &bytes) || bytes < kLineMinHexRun / 2 || bytes > side->size()) {
        return Status::InvalidArgument("line codec: truncated hex side stream");
      }
      side->remove_prefix(bytes);
    }
  }
  return Status::Ok();
}

}  // namespace

Status SkipLogLine(std::string_view text, std::string_view* side, std::string_view* numbers) {
  return Skip(text, side, numbers);
}
Status SkipLogLine(std::string_view text, std::string_view* side,
                   std::span<const LineNumber>* numbers) {
  return Skip(text, side, numbers);
}

std::vector<std::string> NumbersInNeedle(std::string_view needle) {
  std::vector<std::string> out;
  const size_t n = needle.size();
  auto at = [&](size_t k) { return static_cast<uint8_t>(needle[k]); };
  // A whole digit word of the line (non-alphanumeric bytes around it) of at
  // most 12 digits is no id, hex run or epoch time; the whole digit words
  // of a time are followed by '-', ':' or '.'. Any other is a number region.
  auto after = [&](size_t k) {
    return !IsAlnum(at(k)) && at(k) != '-' && at(k) != ':' && at(k) != '.';
  };
  for (size_t k = 1; k < n; ++k) {
    if (!IsDigit(at(k)) || IsAlnum(at(k - 1))) continue;
    size_t d = k;
    while (d < n && IsDigit(at(d))) ++d;
    if (d < n && after(d) && d - k <= 12) {
      uint64_t value = 0, zeros = 0;
      if (MatchNumber(needle.substr(0, d), k, &value, &zeros) != 0) {
        std::string unit;
        PutNumber(value, zeros, &unit);
        out.push_back(std::move(unit));
      }
    }
    k = d;
  }
  return out;
}

bool NeedleMatchesEncodedExactly(std::string_view needle, bool numbers) {
  const size_t n = needle.size();
  const uint8_t last = numbers ? kLineLastCodeV2 : kLineLastCode;
  auto at = [&](size_t k) { return static_cast<uint8_t>(needle[k]); };
  for (size_t k = 0; k < n; ++k) {
    if (at(k) <= last) return false;
  }
  // A match starting inside a region: the needle's head is region bytes and
  // the region ends at the needle's end or before a boundary byte.
  for (size_t m = 1; m <= n; ++m) {
    if (!InRegionAlphabet(at(m - 1))) break;
    if (m == n || !IsAlnum(at(m))) return false;
  }
  // A region starting inside the match: after a boundary, a hex digit that
  // begins a run of region bytes reaching the needle's end or long enough to
  // be a whole region.
  for (size_t k = 1; k < n; ++k) {
    if (IsAlnum(at(k - 1)) || !IsLowerHex(at(k))) continue;
    size_t j = k;
    while (j < n && InRegionAlphabet(at(j))) ++j;
    if (j == n || j - k >= kMinRegion) return false;
    if (numbers) {
      // A whole digit word: a number region.
      size_t d = k;
      while (d < n && IsDigit(at(d))) ++d;
      if (d > k && d < n && !IsAlnum(at(d))) return false;
    }
  }
  return true;
}

}  // namespace quartet::store

namespace quartet::store {

size_t NeedleSafeHead(std::string_view needle) {
  const size_t n = needle.size();
  auto at = [&](size_t k) { return static_cast<uint8_t>(needle[k]); };
  if (NeedleMatchesEncodedExactly(needle)) return std::string_view::npos;
  for (size_t k = 0; k < n; ++k) {
    if (at(k) <= kLineLastCode) return std::string_view::npos;
  }
  // The tail: alphanumeric after a boundary, starting with a hex digit, too
  // short to hold a region; a region touching the needle can then only
  // start where the tail starts (none can start or end inside it).
  size_t k = n;
  while (k > 0 && IsAlnum(at(k - 1))) --k;
  if (k == 0 || k == n || n - k >= kMinRegion || !IsLowerHex(at(k))) {
    return std::string_view::npos;
  }
  return NeedleMatchesEncodedExactly(needle.substr(0, k)) ? k : std::string_view::npos;
}

}  // namespace quartet::store
