// JsonCursor: one pass over JSON text (RFC 8259, the strict grammar
// json_parser.h describes), for decoders that map a known schema straight
// into their structs with no DOM (the Loki push body) and for json::Parse,
// which builds its DOM on it — so both accept the same documents, with the
// same nesting limit, syntax messages ("json: offset 17: expected ',' or '}'
// in object, got 'x'") and U+FFFD repairs of ill-formed UTF-8 and lone
// surrogates. Strings come back as views into the text when they have no
// escapes, else into a JsonScratch; containers are walked with callbacks.
// The first syntax error is kept (error()); every method returns false once
// there is one. (json::Parse's input size limit is the caller's to check.)
//
// Thread-safety: a cursor is used by one thread at a time.
//
//   JsonCursor json(text);
//   bool ok = json.Object(1, [&](std::string_view key) {
//     return key == "name" ? json.String(&name, &scratch) : json.SkipValue(2);
//   });
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "base/status.h"

namespace quartet::json {

// The decoded bytes of a string with escapes: a plain buffer rather than a
// std::string, so that the byte-at-a-time appends of escapes skip its
// bookkeeping. Reused for every string of a document.
class JsonScratch {
 public:
  void Clear() { size_ = 0; }
  void Append(const char* p, size_t n) {
    if (n == 0) return;
    std::memcpy(Reserve(n), p, n);
    size_ += n;
  }
  void Push(char c) {
    *Reserve(1) = c;
    ++size_;
  }
  // cp <= 0x10FFFF, not a surrogate (what the unescaper hands over).
  void PushUtf8(uint32_t cp) {
    char* p = Reserve(4);
    if (cp < 0x80) {
      p[0] = static_cast<char>(cp);
      size_ += 1;
    } else if (cp < 0x800) {
      p[0] = static_cast<char>(0xC0 | (cp >> 6));
      p[1] = static_cast<char>(0x80 | (cp & 0x3F));
      size_ += 2;
    } else if (cp < 0x10000) {
      p[0] = static_cast<char>(0xE0 | (cp >> 12));
      p[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      p[2] = static_cast<char>(0x80 | (cp & 0x3F));
      size_ += 3;
    } else {
      p[0] = static_cast<char>(0xF0 | (cp >> 18));
      p[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      p[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      p[3] = static_cast<char>(0x80 | (cp & 0x3F));
      size_ += 4;
    }
  }
  std::string_view view() const { return {buf_.get(), size_}; }

 private:
  char* Reserve(size_t n) {
    if (cap_ - size_ < n) {
      const size_t cap = std::max({cap_ * 2, size_ + n, size_t{256}});
      auto bigger = std::make_unique_for_overwrite<char[]>(cap);
      if (size_ > 0) std::memcpy(bigger.get(), buf_.get(), size_);
      buf_ = std::move(bigger);
      cap_ = cap;
    }
    return buf_.get() + size_;
  }

  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

class JsonCursor {
 public:
  // Containers nested deeper than max_depth are RESOURCE_EXHAUSTED; with
  // reject_invalid_utf8 ill-formed UTF-8 in a string is an error instead
  // of U+FFFD (json::ParseOptions).
  explicit JsonCursor(std::string_view text, int max_depth = 128, bool reject_invalid_utf8 = false)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth),
        reject_invalid_utf8_(reject_invalid_utf8) {}

  // The first syntax error (OK while there is none).
  const Status& error() const { return error_; }
  bool AtEnd() const { return p_ >= end_; }
  bool At(char c) const { return p_ < end_ && *p_ == c; }
  bool AtNumber() const { return p_ < end_ && (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')); }
  char Peek() const { return *p_; }  // !AtEnd()

  // Records a syntax error at the current offset (the first one wins) and
  // returns false.
  bool Fail(std::string_view what, StatusCode code = StatusCode::kInvalidArgument);
  void SkipSpace();
  // What the value here is, for schema errors ("got an array"); a bad first
  // byte is named too, and the syntax error that follows takes precedence.
  std::string_view TypeAt() const;

  // Nesting levels count from 1 at the top-level value; deeper than
  // max_depth is RESOURCE_EXHAUSTED. Object() calls member(key) with the
  // cursor at each member's value, which member must consume (returning
  // false on a syntax error); Array() likewise calls item(index).
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

  // Checks and steps over the value here (a container would be at `depth`).
  bool SkipValue(int depth);
  bool Literal(std::string_view word);
  // The number's source text; `integer` when it has no fraction or exponent.
  bool Number(std::string_view* text, bool* integer);
  // The string here (at its opening quote), decoded: a view into the text
  // when it has no escapes and well-formed UTF-8 (the common case), else
  // into *scratch (valid until its next use).
  bool String(std::string_view* out, JsonScratch* scratch);

 private:
  bool Enter(int depth);
  bool Digits();
  bool Hex4(uint32_t* out);
  bool WellFormedAt(size_t* n) const;
  bool Unescape(JsonScratch* out);
  bool SkipString();

  const char* begin_;
  const char* p_;
  const char* end_;
  int max_depth_;
  bool reject_invalid_utf8_;
  Status error_;
  JsonScratch key_scratch_;  // object keys: used before the next key is read
};

}  // namespace quartet::json
