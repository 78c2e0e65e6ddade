// DecodePushJson / EncodePushJson. The decoder walks the body once: no JSON
// DOM, strings without escapes are read in place, the others are unescaped
// into a scratch buffer, and each line is copied once into its Entry. It
// accepts exactly the documents json::Parse accepts (same grammar, limits and
// syntax messages, same U+FFFD repairs) and reports schema errors with the
// same precedence as a decoder over the DOM would: any syntax error wins, then
// the first stream in order with a problem; duplicate keys: the last wins.
// To keep that precedence while streaming, a schema error is remembered and
// the rest of the document is only checked for syntax.
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>

#include "wire/json/json_parser.h"
#include "wire/json/json_writer.h"
#include "wire/json/utf8.h"
#include "wire/loki/push.h"

namespace quartet::loki {
namespace {

// json::Parse's defaults: the push body is held to the same limits.
constexpr json::ParseOptions kJsonLimits{};

std::string Quoted(std::string_view s, size_t max = 64) {
  std::string out;
  json::AppendString(&out, s.substr(0, max));
  if (s.size() > max) out.insert(out.size() - 1, "...");
  return out;
}

// Where a value sits (streams[s].values[v][i].key), rendered only when
// reporting an error so that the success path allocates nothing for it.
struct Where {
  size_t stream = 0;
  std::string_view field;  // "stream" or "values"; empty for the stream itself
  size_t value = SIZE_MAX;
  size_t item = SIZE_MAX;
  std::string_view key;  // label or metadata name

  Status Error(std::string_view what) const {
    std::string p = "streams[" + std::to_string(stream) + "]";
    if (!field.empty()) p.append(".").append(field);
    // append(), not "[" + to_string(): g++ 12 at -O3 warns falsely (-Wrestrict) on the latter.
    if (value != SIZE_MAX) p.append("[").append(std::to_string(value)).append("]");
    if (item != SIZE_MAX) p.append("[").append(std::to_string(item)).append("]");
    if (!key.empty()) p.append(".").append(key);
    return Status::InvalidArgument(p + ": " + std::string(what));
  }
  Where Key(std::string_view k) const {
    Where w = *this;
    w.key = k;
    return w;
  }
  Where Item(size_t i) const {
    Where w = *this;
    w.item = i;
    return w;
  }
};

// The first byte of a string run that needs a closer look: '"', '\\', a
// control character or a non-ASCII byte. Eight bytes at a time: the masks
// flag exactly those bytes (borrows only spill above the lowest flagged
// byte, so the lowest set bit is exact).
const char* ScanPlain(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    const uint64_t q = x ^ (kOnes * '"');
    const uint64_t b = x ^ (kOnes * '\\');
    const uint64_t hit = ((q - kOnes) & ~q) | ((b - kOnes) & ~b) | ((x - kOnes * 0x20) & ~x) | x;
    const uint64_t flagged = hit & kHigh;
    if (flagged != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return p + std::countr_zero(flagged) / 8;
      } else {
        return p + std::countl_zero(flagged) / 8;
      }
    }
    p += 8;
  }
  while (p < end) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
    ++p;
  }
  return p;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Decoder {
 public:
  explicit Decoder(std::string_view body)
      : begin_(body.data()), p_(body.data()), end_(body.data() + body.size()) {}

  Result<PushRequest> Decode() {
    PushRequest push;
    Status schema;
    bool has_streams = false;
    SkipSpace();
    bool ok;
    if (p_ < end_ && *p_ == '{') {
      ok = Object(1, [&](std::string_view key) {
        if (key != "streams") return SkipValue(2);
        has_streams = true;
        push.streams.clear();
        schema = Status::Ok();
        return DecodeStreams(&push, &schema);
      });
    } else {
      const std::string_view type = TypeAt();
      ok = SkipValue(1);
      if (ok)
        schema =
            Status::InvalidArgument("push body must be a JSON object, got " + std::string(type));
      has_streams = true;
    }
    if (ok) {
      SkipSpace();
      if (p_ != end_) ok = Fail("expected end of input after the top-level value");
    }
    if (!ok) return std::move(syntax_);
    if (!has_streams) return Status::InvalidArgument("streams: must be an array, got nothing");
    if (!schema.ok()) return schema;
    return push;
  }

 private:
  // ---- JSON syntax: wire/json's grammar, limits and messages ----

  // Records the first syntax error; returns false so callers can `return Fail(...)`.
  bool Fail(std::string_view what, StatusCode code = StatusCode::kInvalidArgument) {
    if (!syntax_.ok()) return false;
    std::string msg = "json: offset " + std::to_string(p_ - begin_) + ": ";
    msg.append(what);
    if (code == StatusCode::kInvalidArgument) {
      if (p_ >= end_) {
        msg += ", got end of input";
      } else {
        const unsigned char c = static_cast<unsigned char>(*p_);
        char buf[16];
        if (c >= 0x21 && c < 0x7F) {
          snprintf(buf, sizeof buf, ", got '%c'", c);
        } else {
          snprintf(buf, sizeof buf, ", got byte 0x%02x", c);
        }
        msg += buf;
      }
    }
    syntax_ = Status(code, std::move(msg));
    return false;
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // What the value at p_ is, for schema errors ("got an array"). A bad first
  // byte is named too; the syntax error that follows takes precedence.
  std::string_view TypeAt() const {
    if (p_ >= end_) return "nothing";
    switch (*p_) {
      case '{':
        return "an object";
      case '[':
        return "an array";
      case '"':
        return "a string";
      case 't':
      case 'f':
        return "a boolean";
      case 'n':
        return "null";
      default:
        return "a number";
    }
  }

  bool Enter(int depth) {
    if (depth <= kJsonLimits.max_depth) return true;
    return Fail("nesting deeper than " + std::to_string(kJsonLimits.max_depth),
                StatusCode::kResourceExhausted);
  }

  // p_ at '{' (of nesting level `depth`, the top level being 1); calls
  // member(key) with p_ at each member's value, which must consume it.
  template <typename Fn>
  bool Object(int depth, Fn&& member) {
    if (!Enter(depth)) return false;
    ++p_;
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      if (p_ >= end_ || *p_ != '"') return Fail("expected '\"' to start an object key");
      std::string_view key;
      if (!String(&key, &key_scratch_)) return false;
      SkipSpace();
      if (p_ >= end_ || *p_ != ':') return Fail("expected ':' after object key");
      ++p_;
      SkipSpace();
      if (!member(key)) return false;
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        SkipSpace();
        continue;
      }
      if (p_ < end_ && *p_ == '}') {
        ++p_;
        return true;
      }
      return Fail("expected ',' or '}' in object");
    }
  }

  // p_ at '['; calls item(index) with p_ at each item, which must consume it.
  template <typename Fn>
  bool Array(int depth, Fn&& item) {
    if (!Enter(depth)) return false;
    ++p_;
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (size_t i = 0;; ++i) {
      if (!item(i)) return false;
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        SkipSpace();
        continue;
      }
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        return true;
      }
      return Fail("expected ',' or ']' in array");
    }
  }

  // Checks and steps over the value at p_ (a container would be at `depth`).
  bool SkipValue(int depth) {
    if (p_ >= end_) return Fail("expected a value");
    switch (*p_) {
      case '{':
        return Object(depth, [&](std::string_view) { return SkipValue(depth + 1); });
      case '[':
        return Array(depth, [&](size_t) { return SkipValue(depth + 1); });
      case '"':
        return SkipString();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          std::string_view text;
          bool integer;
          return Number(&text, &integer);
        }
        return Fail("expected a value");
    }
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return Fail("invalid literal (expected true, false or null)");
    }
    p_ += word.size();
    return true;
  }

  bool Digits() {
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Fail("expected a digit");
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return true;
  }

  // The number's source text; `integer` when it has no fraction or exponent.
  bool Number(std::string_view* text, bool* integer) {
    const char* start = p_;
    *integer = true;
    if (*p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
      if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return Fail("leading zeros are not allowed");
    } else if (!Digits()) {
      return false;
    }
    if (p_ < end_ && *p_ == '.') {
      *integer = false;
      ++p_;
      if (!Digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      *integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
    }
    *text = std::string_view(start, p_ - start);
    return true;
  }

  // The 4 hex digits after "\u" (p_ at the first digit).
  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return Fail("expected 4 hex digits after \\u");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexDigit(p_[i]);
      if (h < 0) {
        p_ += i;
        return Fail("expected 4 hex digits after \\u");
      }
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 4;
    *out = v;
    return true;
  }

  // True when the UTF-8 sequence at p_ (*p_ >= 0x80) is kept as it is;
  // sets *n to its length.
  bool WellFormedAt(size_t* n) const {
    uint32_t cp;
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    *n = json::DecodeUtf8(u, reinterpret_cast<const unsigned char*>(end_), &cp);
    return cp != json::kReplacementChar ||
           (*n == 3 && u[0] == 0xEF && u[1] == 0xBF && u[2] == 0xBD);
  }

  // The string at p_ (at its opening quote), decoded: a view into the body
  // when it has no escapes and well-formed UTF-8 (the common case), else
  // into *scratch.
  bool String(std::string_view* out, std::string* scratch) {
    const char* start = ++p_;
    while (true) {
      p_ = ScanPlain(p_, end_);
      if (p_ >= end_) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *out = std::string_view(start, p_ - start);
        ++p_;
        return true;
      }
      if (c < 0x80) break;
      size_t n;
      if (!WellFormedAt(&n)) break;
      p_ += n;
    }
    scratch->assign(start, p_);
    if (!Unescape(scratch)) return false;
    *out = *scratch;
    return true;
  }

  // Continues a string at p_, appending its decoded bytes to *out, through
  // the closing quote.
  bool Unescape(std::string* out) {
    while (true) {
      const char* run = p_;
      p_ = ScanPlain(p_, end_);
      out->append(run, p_);
      if (p_ >= end_) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail("control characters must be escaped in strings");
      if (c >= 0x80) {
        size_t n;
        if (WellFormedAt(&n)) {
          out->append(p_, n);
        } else {
          out->append("\xEF\xBF\xBD");
        }
        p_ += n;
        continue;
      }
      // Backslash escape.
      ++p_;
      if (p_ >= end_) return Fail("unterminated escape");
      const char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate: only a following \uDC00-\uDFFF completes it.
            uint32_t low = 0;
            if (end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
              const char* save = p_;
              p_ += 2;
              if (!Hex4(&low)) return false;
              if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              } else {
                p_ = save;  // the next escape stands on its own
                cp = json::kReplacementChar;
              }
            } else {
              cp = json::kReplacementChar;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = json::kReplacementChar;  // lone low surrogate
          }
          json::AppendUtf8(out, cp);
          break;
        }
        default:
          --p_;
          return Fail("invalid escape (expected one of \" \\ / b f n r t u)");
      }
    }
  }

  // Checks a string without decoding it: only escapes and control
  // characters can be errors (ill-formed UTF-8 is repaired, not refused).
  bool SkipString() {
    ++p_;
    while (true) {
      p_ = ScanPlain(p_, end_);
      if (p_ >= end_) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail("control characters must be escaped in strings");
      if (c >= 0x80) {
        ++p_;
        continue;
      }
      ++p_;
      if (p_ >= end_) return Fail("unterminated escape");
      const char e = *p_++;
      if (e == 'u') {
        uint32_t cp;
        if (!Hex4(&cp)) return false;
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
        --p_;
        return Fail("invalid escape (expected one of \" \\ / b f n r t u)");
      }
    }
  }

  // ---- the push schema ----

  // A label or metadata value: strings as they are, numbers as their source
  // text and booleans as true/false (pino-loki sends `"level":30`). Other
  // values set *error (when none is set yet) and are skipped.
  bool ScalarText(std::string* out, const Where& where, int depth, Status* error) {
    if (p_ >= end_) return Fail("expected a value");
    std::string_view text;
    switch (*p_) {
      case '"':
        if (!String(&text, &value_scratch_)) return false;
        out->assign(text);
        return true;
      case 't':
        *out = "true";
        return Literal("true");
      case 'f':
        *out = "false";
        return Literal("false");
      case 'n':
      case '{':
      case '[': {
        const std::string_view type = TypeAt();
        if (!SkipValue(depth)) return false;
        if (error->ok()) *error = where.Error("value must be a string, got " + std::string(type));
        return true;
      }
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          bool integer;
          if (!Number(&text, &integer)) return false;
          out->assign(text);
          return true;
        }
        return Fail("expected a value");
    }
  }

  // p_ at the value of "streams" (level 2).
  bool DecodeStreams(PushRequest* push, Status* error) {
    if (p_ >= end_ || *p_ != '[') {
      const std::string_view type = TypeAt();
      if (!SkipValue(2)) return false;
      *error = Status::InvalidArgument("streams: must be an array, got " + std::string(type));
      return true;
    }
    return Array(2, [&](size_t i) {
      if (!error->ok()) return SkipValue(3);
      return DecodeStream(i, &push->streams.emplace_back(), error);
    });
  }

  bool DecodeStream(size_t index, Stream* out, Status* error) {
    const Where where{.stream = index};
    if (p_ >= end_ || *p_ != '{') {
      const std::string_view type = TypeAt();
      if (!SkipValue(3)) return false;
      *error = where.Error("must be an object, got " + std::string(type));
      return true;
    }
    bool has_labels = false;
    Status labels_error, values_error;
    const bool ok = Object(3, [&](std::string_view key) {
      if (key == "stream") {
        has_labels = true;
        out->labels.clear();
        labels_error = Status::Ok();
        return DecodeLabels(Where{.stream = index, .field = "stream"}, &out->labels, &labels_error);
      }
      if (key == "values") {
        out->entries.clear();
        values_error = Status::Ok();
        return DecodeValues(Where{.stream = index, .field = "values"}, &out->entries,
                            &values_error);
      }
      return SkipValue(4);
    });
    if (!ok) return false;
    if (!has_labels) {
      *error = where.Error("missing \"stream\" (the labels object)");
    } else if (!labels_error.ok()) {
      *error = std::move(labels_error);
    } else if (!values_error.ok()) {
      *error = std::move(values_error);
    }
    return true;
  }

  bool DecodeLabels(const Where& where, Labels* out, Status* error) {
    if (p_ >= end_ || *p_ != '{') {
      const std::string_view type = TypeAt();
      if (!SkipValue(4)) return false;
      *error = where.Error("must be an object of labels, got " + std::string(type));
      return true;
    }
    const bool ok = Object(4, [&](std::string_view key) {
      if (!error->ok()) return SkipValue(5);
      if (!IsValidLabelName(key)) {
        *error = where.Error("invalid label name " + Quoted(key) +
                             " (must match [a-zA-Z_][a-zA-Z0-9_]*)");
        return SkipValue(5);
      }
      auto& [name, value] = out->emplace_back(std::string(key), std::string());
      return ScalarText(&value, where.Key(name), 5, error);
    });
    if (!ok) return false;
    if (error->ok()) {
      Status sorted = SortLabels(out);
      if (!sorted.ok()) *error = where.Error(sorted.message());
    }
    return true;
  }

  bool DecodeValues(Where where, std::vector<Entry>* out, Status* error) {
    if (p_ < end_ && *p_ == 'n') return Literal("null");
    if (p_ >= end_ || *p_ != '[') {
      const std::string_view type = TypeAt();
      if (!SkipValue(4)) return false;
      *error = where.Error("must be an array, got " + std::string(type));
      return true;
    }
    return Array(4, [&](size_t i) {
      if (!error->ok()) return SkipValue(5);
      where.value = i;
      return DecodeEntry(where, &out->emplace_back(), error);
    });
  }

  bool DecodeEntry(const Where& where, Entry* out, Status* error) {
    static constexpr std::string_view kShape =
        "must be [timestamp, line] or [timestamp, line, {metadata}], got ";
    if (p_ >= end_ || *p_ != '[') {
      const std::string_view type = TypeAt();
      if (!SkipValue(5)) return false;
      *error = where.Error(std::string(kShape) + std::string(type));
      return true;
    }
    size_t count = 0;
    Status item_error;  // the first item's problem; the item count is checked first
    const bool ok = Array(5, [&](size_t i) {
      count = i + 1;
      if (!item_error.ok() || i >= 3) return SkipValue(6);
      if (i == 0) return DecodeTimestamp(where.Item(0), &out->timestamp_ns, &item_error);
      if (i == 1) return DecodeLine(where.Item(1), &out->line, &item_error);
      return DecodeMetadata(where.Item(2), &out->structured_metadata, &item_error);
    });
    if (!ok) return false;
    if (count < 2 || count > 3) {
      *error = where.Error(std::string(kShape) + "an array of " + std::to_string(count));
    } else if (!item_error.ok()) {
      *error = std::move(item_error);
    }
    return true;
  }

  bool DecodeTimestamp(const Where& where, int64_t* out, Status* error) {
    static constexpr std::string_view kWant = "timestamp must be a decimal string of nanoseconds";
    if (p_ < end_ && (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))) {
      std::string_view text;
      bool integer;
      if (!Number(&text, &integer)) return false;
      int64_t v = -1;
      if (integer) {
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || ptr != text.data() + text.size()) v = -1;
      }
      if (v < 0) {
        *error = where.Error(std::string(kWant) + ", got the number " + std::string(text));
      } else {
        *out = v;
      }
      return true;
    }
    if (p_ >= end_ || *p_ != '"') {
      const std::string_view type = TypeAt();
      if (!SkipValue(6)) return false;
      *error = where.Error(std::string(kWant) + ", got " + std::string(type));
      return true;
    }
    std::string_view s;
    if (!String(&s, &value_scratch_)) return false;
    const char* end = s.data() + s.size();
    int64_t ns = 0;
    auto [ptr, ec] = std::from_chars(s.data(), end, ns);
    const bool digits_only = !s.empty() && s[0] != '-';
    if (!digits_only || ec != std::errc() || ptr != end) {
      const std::string why = ec == std::errc::result_out_of_range ? " (out of range)" : "";
      *error = where.Error(std::string(kWant) + why + ", got " + Quoted(s));
    } else {
      *out = ns;
    }
    return true;
  }

  bool DecodeLine(const Where& where, std::string* out, Status* error) {
    if (p_ >= end_ || *p_ != '"') {
      const std::string_view type = TypeAt();
      if (!SkipValue(6)) return false;
      *error = where.Error("log line must be a string, got " + std::string(type));
      return true;
    }
    std::string_view line;
    if (!String(&line, &value_scratch_)) return false;
    out->assign(line);
    return true;
  }

  bool DecodeMetadata(const Where& where, std::vector<std::pair<std::string, std::string>>* out,
                      Status* error) {
    if (p_ < end_ && *p_ == 'n') return Literal("null");
    if (p_ >= end_ || *p_ != '{') {
      const std::string_view type = TypeAt();
      if (!SkipValue(6)) return false;
      *error = where.Error("structured metadata must be an object, got " + std::string(type));
      return true;
    }
    return Object(6, [&](std::string_view key) {
      if (!error->ok()) return SkipValue(7);
      auto& [name, value] = out->emplace_back(std::string(key), std::string());
      return ScalarText(&value, where.Key(name), 7, error);
    });
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  Status syntax_;
  // Unescaped keys and values; a key is used before the next key is read.
  std::string key_scratch_, value_scratch_;
};

}  // namespace

Result<PushRequest> DecodePushJson(std::string_view body) {
  if (body.size() > kJsonLimits.max_bytes) {
    return Status::ResourceExhausted("json: document is " + std::to_string(body.size()) +
                                     " bytes, limit is " + std::to_string(kJsonLimits.max_bytes));
  }
  return Decoder(body).Decode();
}

std::string EncodePushJson(const PushRequest& push) {
  std::string out = "{\"streams\":[";
  for (size_t s = 0; s < push.streams.size(); ++s) {
    const Stream& stream = push.streams[s];
    if (s > 0) out += ',';
    out += "{\"stream\":{";
    for (size_t i = 0; i < stream.labels.size(); ++i) {
      if (i > 0) out += ',';
      json::AppendString(&out, stream.labels[i].first);
      out += ':';
      json::AppendString(&out, stream.labels[i].second);
    }
    out += "},\"values\":[";
    for (size_t e = 0; e < stream.entries.size(); ++e) {
      const Entry& entry = stream.entries[e];
      if (e > 0) out += ',';
      out += "[\"";
      json::AppendInt(&out, entry.timestamp_ns);
      out += "\",";
      json::AppendString(&out, entry.line);
      if (!entry.structured_metadata.empty()) {
        out += ",{";
        for (size_t i = 0; i < entry.structured_metadata.size(); ++i) {
          if (i > 0) out += ',';
          json::AppendString(&out, entry.structured_metadata[i].first);
          out += ':';
          json::AppendString(&out, entry.structured_metadata[i].second);
        }
        out += '}';
      }
      out += ']';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

}  // namespace quartet::loki
