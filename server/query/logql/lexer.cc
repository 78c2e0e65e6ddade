#include "server/query/logql/lexer.h"

#include "server/query/logql/literals.h"
#include "wire/json/utf8.h"

namespace quartet::logql {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token token;
      token.offset = pos_;
      if (pos_ >= text_.size()) {
        tokens.push_back(token);
        return tokens;
      }
      RETURN_IF_ERROR(Next(&token));
      tokens.push_back(std::move(token));
    }
  }

 private:
  Status Error(size_t offset, std::string_view what) {
    return Status::InvalidArgument("parse error at " + Position(text_, offset) + ": " +
                                   std::string(what));
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool Peek(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }

  Status Next(Token* token) {
    char c = text_[pos_];
    if (IsIdentStart(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      token->type = TokenType::kIdent;
      token->text = std::string(text_.substr(start, pos_ - start));
      return Status::Ok();
    }
    if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
      return Number(token);
    }
    if (c == '"') return QuotedString(token);
    if (c == '`') {
      size_t end = text_.find('`', pos_ + 1);
      if (end == std::string_view::npos) return Error(pos_, "unterminated raw string");
      token->type = TokenType::kString;
      token->text = std::string(text_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      return Status::Ok();
    }
    static constexpr std::pair<std::string_view, TokenType> kOps[] = {
        {"|=", TokenType::kPipeExact}, {"|~", TokenType::kPipeMatch}, {"==", TokenType::kEqEq},
        {"!=", TokenType::kNeq},       {"=~", TokenType::kRe},        {"!~", TokenType::kNre},
        {">=", TokenType::kGte},       {"<=", TokenType::kLte},       {"{", TokenType::kLBrace},
        {"}", TokenType::kRBrace},     {"(", TokenType::kLParen},     {")", TokenType::kRParen},
        {"[", TokenType::kLBracket},   {"]", TokenType::kRBracket},   {",", TokenType::kComma},
        {"=", TokenType::kEq},         {"|", TokenType::kPipe},       {">", TokenType::kGt},
        {"<", TokenType::kLt},         {"+", TokenType::kAdd},        {"-", TokenType::kSub},
        {"*", TokenType::kMul},        {"/", TokenType::kDiv},        {"%", TokenType::kMod},
        {"^", TokenType::kPow},
    };
    for (const auto& [text, type] : kOps) {
      if (Peek(text)) {
        token->type = type;
        token->text = std::string(text);
        pos_ += text.size();
        return Status::Ok();
      }
    }
    std::string what = "unexpected character ";
    if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
      what += "'" + std::string(1, c) + "'";
    } else {
      what += Quote(std::string_view(&c, 1));
    }
    return Error(pos_, what);
  }

  Status Number(Token* token) {
    size_t start = pos_;
    // Digits, dots and unit letters form one literal: 5m, 1h30m, 1.5s, 10KiB, 1e3.
    while (pos_ < text_.size() &&
           (IsIdentChar(text_[pos_]) || text_[pos_] == '.' || Peek("\xC2\xB5"))) {
      pos_ += Peek("\xC2\xB5") ? 2 : 1;
    }
    // An exponent sign: 1e-3.
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+') &&
        (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E') && pos_ + 1 < text_.size() &&
        IsDigit(text_[pos_ + 1]) && text_.substr(start, 2) != "0x") {
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    std::string_view lit = text_.substr(start, pos_ - start);
    token->text = std::string(lit);
    if (auto n = ParseNumber(lit)) {
      token->type = TokenType::kNumber;
      token->number = *n;
      return Status::Ok();
    }
    if (auto d = ParseDuration(lit)) {
      token->type = TokenType::kDuration;
      token->duration = *d;
      return Status::Ok();
    }
    if (auto b = ParseBytes(lit)) {
      token->type = TokenType::kBytes;
      token->number = *b;
      return Status::Ok();
    }
    return Error(start, "malformed number, duration or byte size \"" + std::string(lit) + "\"");
  }

  Status QuotedString(Token* token) {
    size_t start = pos_++;
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Error(start, "unterminated string");
      char c = text_[pos_++];
      if (c == '"') break;
      if (c == '\n') return Error(start, "unterminated string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return Error(start, "unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case '\'':
          out += '\'';
          break;
        case 'x':
        case 'u':
        case 'U': {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int i = 0; i < digits; ++i) {
            int h = pos_ < text_.size() ? HexValue(text_[pos_]) : -1;
            if (h < 0) return Error(pos_, "invalid escape in string");
            cp = cp * 16 + static_cast<uint32_t>(h);
            ++pos_;
          }
          if (e == 'x') {
            out += static_cast<char>(cp);
          } else {
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
              return Error(pos_, "invalid unicode escape in string");
            }
            json::AppendUtf8(&out, cp);
          }
          break;
        }
        default:
          return Error(pos_ - 2, "invalid escape \\" + std::string(1, e) +
                                     " in string (regex escapes need \\\\ or `raw strings`)");
      }
    }
    token->type = TokenType::kString;
    token->text = std::move(out);
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) { return Lexer(text).Run(); }

std::string Position(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

std::string Describe(const Token& token) {
  switch (token.type) {
    case TokenType::kEof:
      return "end of query";
    case TokenType::kIdent:
      return "identifier \"" + token.text + "\"";
    case TokenType::kString:
      return "string " + Quote(token.text);
    case TokenType::kNumber:
      return "number " + token.text;
    case TokenType::kDuration:
      return "duration " + token.text;
    case TokenType::kBytes:
      return "byte size " + token.text;
    default:
      return "\"" + token.text + "\"";
  }
}

}  // namespace quartet::logql
