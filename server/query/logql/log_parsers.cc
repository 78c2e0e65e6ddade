#include "server/query/logql/log_parsers.h"

#include <cstdint>
#include <cstring>

#include "wire/json/utf8.h"

namespace quartet::logql {
namespace {

constexpr int kMaxJsonDepth = 64;

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A cursor over one JSON text. Strings without escapes are returned as views
// of the input; escaped ones are decoded into a buffer the caller provides.
class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}

  size_t pos() const { return pos_; }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char PeekChar() {
    SkipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }

  Status Error(std::string_view what) const {
    return Status::InvalidArgument(std::string(what) + " at offset " + std::to_string(pos_));
  }

  // Reads a string at the cursor; *out views the input or *buf.
  Status String(std::string_view* out, std::string* buf) {
    if (!Consume('"')) return Error("expected a string");
    size_t start = pos_;
    // Most strings have no escapes: find the closing quote with memchr and
    // check the span for a backslash the same way.
    const void* quote = std::memchr(s_.data() + pos_, '"', s_.size() - pos_);
    size_t end =
        quote ? static_cast<size_t>(static_cast<const char*>(quote) - s_.data()) : s_.size();
    const void* backslash = std::memchr(s_.data() + pos_, '\\', end - pos_);
    pos_ = backslash ? static_cast<size_t>(static_cast<const char*>(backslash) - s_.data()) : end;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      *out = s_.substr(start, pos_ - start);
      ++pos_;
      return Status::Ok();
    }
    buf->assign(s_.substr(start, pos_ - start));
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') {
        *out = *buf;
        return Status::Ok();
      }
      if (c != '\\') {
        *buf += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"':
          *buf += '"';
          break;
        case '\\':
          *buf += '\\';
          break;
        case '/':
          *buf += '/';
          break;
        case 'b':
          *buf += '\b';
          break;
        case 'f':
          *buf += '\f';
          break;
        case 'n':
          *buf += '\n';
          break;
        case 'r':
          *buf += '\r';
          break;
        case 't':
          *buf += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Error("invalid \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t lo = 0;
            if (!Hex4(&lo)) return Error("invalid \\u escape");
            cp = (lo >= 0xDC00 && lo <= 0xDFFF) ? 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                                                : 0xFFFD;
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          json::AppendUtf8(buf, cp);
          break;
        }
        default:
          return Error("invalid escape in string");
      }
    }
    return Error("unterminated string");
  }

  // Reads a number, true, false or null as written.
  Status Scalar(std::string_view* out) {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
        break;
      ++pos_;
    }
    *out = s_.substr(start, pos_ - start);
    if (out->empty()) return Error("expected a value");
    if (*out == "true" || *out == "false" || *out == "null") return Status::Ok();
    char c = (*out)[0];
    if (c != '-' && (c < '0' || c > '9')) return Error("invalid value");
    for (char d : *out) {
      if (!((d >= '0' && d <= '9') || d == '-' || d == '+' || d == '.' || d == 'e' || d == 'E')) {
        return Error("invalid number");
      }
    }
    return Status::Ok();
  }

  // Skips any value (depth-bounded).
  Status Skip(int depth) {
    if (depth > kMaxJsonDepth) return Error("nesting too deep");
    char c = PeekChar();
    std::string buf;
    std::string_view v;
    if (c == '"') return String(&v, &buf);
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos_;
      if (Consume(close)) return Status::Ok();
      while (true) {
        if (c == '{') {
          RETURN_IF_ERROR(String(&v, &buf));
          if (!Consume(':')) return Error("expected ':'");
        }
        RETURN_IF_ERROR(Skip(depth + 1));
        if (Consume(',')) continue;
        if (Consume(close)) return Status::Ok();
        return Error(c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
    return Scalar(&v);
  }

  std::string_view Slice(size_t from) const { return s_.substr(from, pos_ - from); }

 private:
  bool Hex4(uint32_t* cp) {
    if (pos_ + 4 > s_.size()) return false;
    for (int i = 0; i < 4; ++i) {
      int h = Hex(s_[pos_ + i]);
      if (h < 0) return false;
      *cp = *cp * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

Status FlattenObject(JsonReader& r, std::string* prefix, int depth, const FieldFn& fn) {
  if (depth > kMaxJsonDepth) return r.Error("nesting too deep");
  if (!r.Consume('{')) return r.Error("expected '{'");
  if (r.Consume('}')) return Status::Ok();
  std::string key_buf, value_buf;
  while (true) {
    std::string_view key;
    RETURN_IF_ERROR(r.String(&key, &key_buf));
    if (!r.Consume(':')) return r.Error("expected ':'");
    size_t prefix_len = prefix->size();
    if (prefix_len > 0) *prefix += '_';
    AppendSanitizedLabel(key, prefix);
    char c = r.PeekChar();
    if (c == '{') {
      RETURN_IF_ERROR(FlattenObject(r, prefix, depth + 1, fn));
    } else if (c == '[') {
      RETURN_IF_ERROR(r.Skip(depth + 1));
    } else if (c == '"') {
      std::string_view value;
      RETURN_IF_ERROR(r.String(&value, &value_buf));
      fn(*prefix, value);
    } else {
      std::string_view value;
      RETURN_IF_ERROR(r.Scalar(&value));
      if (value != "null") fn(*prefix, value);
    }
    prefix->resize(prefix_len);
    if (r.Consume(',')) continue;
    if (r.Consume('}')) return Status::Ok();
    return r.Error("expected ',' or '}'");
  }
}

}  // namespace

void AppendSanitizedLabel(std::string_view name, std::string* out) {
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') *out += '_';
  size_t from = out->size();
  out->append(name);
  for (size_t i = from; i < out->size(); ++i) {
    if (!IsLabelChar((*out)[i])) (*out)[i] = '_';
  }
}

Status ParseJsonFields(std::string_view line, const FieldFn& fn, std::string* scratch) {
  JsonReader r(line);
  scratch->clear();
  RETURN_IF_ERROR(FlattenObject(r, scratch, 0, fn));
  if (!r.AtEnd()) return r.Error("unexpected data after the object");
  return Status::Ok();
}

bool ExtractJsonPath(std::string_view line, const std::vector<JsonPathSegment>& path,
                     std::string* out) {
  JsonReader r(line);
  std::string buf;
  for (const JsonPathSegment& seg : path) {
    if (seg.index >= 0) {
      if (!r.Consume('[')) return false;
      if (r.Consume(']')) return false;
      for (int64_t i = 0; i < seg.index; ++i) {
        if (!r.Skip(0).ok() || !r.Consume(',')) return false;
      }
      continue;
    }
    if (!r.Consume('{')) return false;
    if (r.Consume('}')) return false;
    while (true) {
      std::string_view key;
      if (!r.String(&key, &buf).ok() || !r.Consume(':')) return false;
      if (key == seg.key) break;
      if (!r.Skip(0).ok()) return false;
      if (!r.Consume(',')) return false;
    }
  }
  char c = r.PeekChar();
  if (c == '"') {
    std::string_view v;
    if (!r.String(&v, &buf).ok()) return false;
    out->assign(v);
    return true;
  }
  size_t start = r.pos();
  if (c == '{' || c == '[') {
    if (!r.Skip(0).ok()) return false;
    out->assign(r.Slice(start));
    return true;
  }
  std::string_view v;
  if (!r.Scalar(&v).ok() || v == "null") return false;
  out->assign(v);
  return true;
}

Status ParseLogfmtFields(std::string_view line, const FieldFn& fn, std::string* scratch) {
  size_t i = 0, n = line.size();
  std::string key;
  while (true) {
    while (i < n && static_cast<unsigned char>(line[i]) <= ' ') ++i;
    if (i >= n) return Status::Ok();
    size_t start = i;
    while (i<n&& static_cast<unsigned char>(line[i])> ' ' && line[i] != '=' && line[i] != '"') {
      ++i;
    }
    if (i == start) {
      return Status::InvalidArgument("logfmt syntax error at offset " + std::to_string(i) +
                                     ": unexpected '" + std::string(1, line[i]) + "'");
    }
    key.clear();
    AppendSanitizedLabel(line.substr(start, i - start), &key);
    if (i >= n || line[i] != '=') {
      fn(key, "");
      continue;
    }
    ++i;
    if (i < n && line[i] == '"') {
      ++i;
      scratch->clear();
      bool closed = false;
      while (i < n) {
        char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < n) {
          char e = line[i++];
          switch (e) {
            case 'n':
              *scratch += '\n';
              break;
            case 't':
              *scratch += '\t';
              break;
            case 'r':
              *scratch += '\r';
              break;
            default:
              *scratch += e;
              break;
          }
          continue;
        }
        *scratch += c;
      }
      if (!closed) {
        return Status::InvalidArgument("logfmt syntax error: unterminated quoted value for key \"" +
                                       key + "\"");
      }
      fn(key, *scratch);
      continue;
    }
    size_t vstart = i;
    while (i<n&& static_cast<unsigned char>(line[i])> ' ') ++i;
    fn(key, line.substr(vstart, i - vstart));
  }
}

}  // namespace quartet::logql
