#include "wire/loki/label_set.h"

#include <algorithm>
#include <cstdint>

#include "wire/json/utf8.h"

namespace quartet::loki {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629), 0 if ill-formed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  unsigned c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<Labels> Parse() {
    Labels labels;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      size_t name_start = pos_;
      if (pos_ >= s_.size() || !IsNameStart(s_[pos_])) return Error("expected a label name");
      while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
      std::string name(s_.substr(name_start, pos_ - name_start));
      SkipSpace();
      RETURN_IF_ERROR(ParseOperator(name));
      SkipSpace();
      std::string value;
      RETURN_IF_ERROR(ParseString(&value));
      labels.emplace_back(std::move(name), std::move(value));
      SkipSpace();
      if (Consume(',')) continue;
      if (Consume('}')) break;
      return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected text after '}'");
    RETURN_IF_ERROR(SortLabels(&labels));
    return labels;
  }

 private:
  Status ParseOperator(const std::string& name) {
    std::string_view rest = s_.substr(pos_);
    if (rest.starts_with("=~") || rest.starts_with("!=") || rest.starts_with("!~")) {
      return Status::InvalidArgument("label set: offset " + std::to_string(pos_) + ": matcher " +
                                     name + std::string(rest.substr(0, 2)) +
                                     " is not allowed: a stream's labels use only '='");
    }
    if (!Consume('=')) return Error("expected '=' after label name " + name);
    return Status::Ok();
  }

  Status ParseString(std::string* out) {
    size_t start = pos_;
    if (pos_ >= s_.size()) return Error("expected a quoted label value");
    char quote = s_[pos_];
    if (quote != '"' && quote != '\'' && quote != '`')
      return Error("expected a quoted label value");
    ++pos_;
    while (true) {
      if (pos_ >= s_.size()) {
        pos_ = start;
        return Error("unterminated label value");
      }
      char c = s_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (quote == '`') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      if (c == '\n') return Error("newline in quoted label value");
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      RETURN_IF_ERROR(ParseEscape(quote, out));
    }
    for (size_t i = 0; i < out->size();) {
      size_t n = Utf8SequenceLength(*out, i);
      if (n == 0) {
        pos_ = start;
        return Error("label value is not valid UTF-8");
      }
      i += n;
    }
    return Status::Ok();
  }

  // At a backslash inside a quoted value: appends the escaped bytes.
  Status ParseEscape(char quote, std::string* out) {
    size_t at = pos_;
    ++pos_;
    if (pos_ >= s_.size()) return Error("unterminated escape");
    char c = s_[pos_++];
    switch (c) {
      case 'a':
        out->push_back('\a');
        return Status::Ok();
      case 'b':
        out->push_back('\b');
        return Status::Ok();
      case 'f':
        out->push_back('\f');
        return Status::Ok();
      case 'n':
        out->push_back('\n');
        return Status::Ok();
      case 'r':
        out->push_back('\r');
        return Status::Ok();
      case 't':
        out->push_back('\t');
        return Status::Ok();
      case 'v':
        out->push_back('\v');
        return Status::Ok();
      case '\\':
        out->push_back('\\');
        return Status::Ok();
      case '"':
      case '\'':
        if (c != quote) break;
        out->push_back(c);
        return Status::Ok();
      case 'x':
      case 'u':
      case 'U': {
        size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (pos_ + digits > s_.size()) break;
        uint32_t v = 0;
        for (size_t k = 0; k < digits; ++k) {
          int d = HexDigit(s_[pos_ + k]);
          if (d < 0) {
            pos_ = at;
            return Error("invalid \\" + std::string(1, c) + " escape");
          }
          v = v * 16 + static_cast<uint32_t>(d);
        }
        pos_ += digits;
        if (c == 'x') {
          out->push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
            pos_ = at;
            return Error("escape names an invalid code point");
          }
          json::AppendUtf8(out, v);
        }
        return Status::Ok();
      }
      default:
        if (c >= '0' && c <= '7') {
          if (pos_ + 2 > s_.size()) break;
          uint32_t v = static_cast<uint32_t>(c - '0');
          for (size_t k = 0; k < 2; ++k) {
            char d = s_[pos_ + k];
            if (d < '0' || d > '7') {
              pos_ = at;
              return Error("invalid octal escape");
            }
            v = v * 8 + static_cast<uint32_t>(d - '0');
          }
          if (v > 255) {
            pos_ = at;
            return Error("octal escape value over 255");
          }
          pos_ += 2;
          out->push_back(static_cast<char>(v));
          return Status::Ok();
        }
        break;
    }
    pos_ = at;
    return Error("unknown escape sequence");
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  Status Error(const std::string& what) const {
    std::string got = pos_ < s_.size() ? "'" + std::string(1, s_[pos_]) + "'" : "end of input";
    return Status::InvalidArgument("label set: offset " + std::to_string(pos_) + ": " + what +
                                   ", got " + got);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(), IsNameChar);
}

Result<Labels> ParseLabelSet(std::string_view text) { return Parser(text).Parse(); }

Status SortLabels(Labels* labels) {
  // Stable so that, among duplicates, the error is deterministic.
  std::stable_sort(labels->begin(), labels->end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < labels->size(); ++i) {
    if ((*labels)[i].first == (*labels)[i - 1].first) {
      return Status::InvalidArgument("duplicate label name " + (*labels)[i].first);
    }
  }
  return Status::Ok();
}

std::string FormatLabelSet(const Labels& labels) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].first;
    out += "=\"";
    std::string_view v = labels[i].second;
    for (size_t k = 0; k < v.size();) {
      char c = v[k];
      auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) {
        size_t n = Utf8SequenceLength(v, k);
        if (n == 0) {
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 15];
          ++k;
        } else {
          out.append(v.substr(k, n));
          k += n;
        }
        continue;
      }
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (u < 0x20 || u == 0x7F) {
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 15];
          } else {
            out.push_back(c);
          }
      }
      ++k;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace quartet::loki
