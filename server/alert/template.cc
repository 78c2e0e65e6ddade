#include "server/alert/template.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

#include "server/alert/template_internal.h"
#include "server/query/promql/format.h"

namespace quartet::alert {
namespace template_internal {

const char* TypeName(const Val& v) {
  switch (v.kind) {
    case Val::kNil:
      return "<nil>";
    case Val::kBool:
      return "bool";
    case Val::kInt:
      return "int";
    case Val::kFloat:
      return "float64";
    case Val::kString:
      return "string";
    case Val::kMap:
      return "map[string]string";
    case Val::kData:
      return "*template.tmplData";
  }
  return "?";
}

std::string Print(const Val& v) {
  switch (v.kind) {
    case Val::kNil:
      return "<no value>";
    case Val::kBool:
      return v.b ? "true" : "false";
    case Val::kInt:
      return std::to_string(v.i);
    case Val::kFloat:
      return GoFloatV(v.f);
    case Val::kString:
      return v.s;
    case Val::kMap: {
      std::string out = "map[";
      for (const auto& [k, val] : *v.m) {
        if (out.size() > 4) out += ' ';
        out += k + ":" + val;
      }
      return out + "]";
    }
    case Val::kData:
      return "{" + GoFloatV(v.data->value) + "}";
  }
  return "";
}

bool Truth(const Val& v) {
  switch (v.kind) {
    case Val::kNil:
      return false;
    case Val::kBool:
      return v.b;
    case Val::kInt:
      return v.i != 0;
    case Val::kFloat:
      return v.f != 0;
    case Val::kString:
      return !v.s.empty();
    case Val::kMap:
      return !v.m->empty();
    case Val::kData:
      return true;
  }
  return false;
}

// Go's %.4g (C's, but with Go's spelling of NaN and infinities).
std::string G4(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

Result<double> ToFloat(const Val& v) {
  switch (v.kind) {
    case Val::kFloat:
      return v.f;
    case Val::kInt:
      return static_cast<double>(v.i);
    case Val::kString: {
      std::optional<double> d = promql::GoParseFloat(v.s);
      if (!d)
        return Status::InvalidArgument("strconv.ParseFloat: parsing " + promql::GoQuote(v.s) +
                                       ": invalid syntax");
      return *d;
    }
    default:
      return Status::InvalidArgument(std::string("can't convert ") + TypeName(v) + " to float");
  }
}

}  // namespace template_internal

using namespace template_internal;

std::string GoFloatV(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  // buf: [-]d[.ddd]e[+-]xx
  std::string_view sci(buf, end - buf);
  const bool neg = sci[0] == '-';
  if (neg) sci.remove_prefix(1);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exp);
  std::string out = neg ? "-" : "";
  // strconv's 'g' with the shortest precision switches to %e from 1e+06.
  const int eprec = 6;
  if (exp < -4 || exp >= eprec) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out + eb;
  }
  if (exp < 0) return out + "0." + std::string(-exp - 1, '0') + digits;
  if (static_cast<int>(digits.size()) <= exp + 1) {
    return out + digits + std::string(exp + 1 - digits.size(), '0');
  }
  return out + digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
}

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return G4(v);
  if (std::fabs(v) >= 1) {
    const char* prefix = "";
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return G4(v) + prefix;
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return G4(v);
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return G4(v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  if (v == 0) return G4(v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    const int64_t d = static_cast<int64_t>(v);
    const int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 3600) % 24,
                  days = d / 86400;
    auto s = [](int64_t n) { return std::to_string(n); };
    if (days != 0)
      return sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s";
    if (hours != 0) return sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s";
    if (minutes != 0) return sign + s(minutes) + "m " + s(seconds) + "s";
    return sign + G4(v) + "s";
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix + "s";
}

std::string HumanizePercentage(double ratio) { return G4(ratio * 100) + "%"; }

// ---- syntax tree ----------------------------------------------------------------

namespace {

using Node = Template::Node;

// The function table: names known at parse time.
constexpr std::string_view kFuncs[] = {"humanize",
                                       "humanize1024",
                                       "humanizeDuration",
                                       "humanizePercentage",
                                       "humanizeTimestamp",
                                       "printf",
                                       "print",
                                       "toUpper",
                                       "toLower",
                                       "title",
                                       "match",
                                       "reReplaceAll",
                                       "stripPort",
                                       "index",
                                       "len",
                                       "eq",
                                       "ne",
                                       "lt",
                                       "le",
                                       "gt",
                                       "ge",
                                       "and",
                                       "or",
                                       "not"};

class Parser {
 public:
  Parser(std::string_view name, std::string_view text) : name_(name), text_(text) {}

  Result<std::vector<Node>> ParseAll() {
    vars_ = {"$"};
    std::string term;
    ASSIGN_OR_RETURN(std::vector<Node> list, ParseList(&term));
    if (!term.empty()) return Error("unexpected {{" + term + "}}");
    return list;
  }

 private:
  Status Error(const std::string& msg) const {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
    return Status::InvalidArgument("template: " + std::string(name_) + ":" + std::to_string(line) +
                                   ": " + msg);
  }

  // Parses text and actions up to {{end}} / {{else...}} (returned in *term;
  // "" at the end of the text).
  Result<std::vector<Node>> ParseList(std::string* term) {
    std::vector<Node> list;
    term->clear();
    while (pos_ < text_.size()) {
      size_t open = text_.find("{{", pos_);
      std::string_view txt =
          text_.substr(pos_, open == std::string_view::npos ? std::string_view::npos : open - pos_);
      bool trim_left = open != std::string_view::npos && open + 3 < text_.size() &&
                       text_[open + 2] == '-' && IsSpace(text_[open + 3]);
      if (trim_left) {
        while (!txt.empty() && IsSpace(txt.back())) txt.remove_suffix(1);
      }
      if (trim_next_) {
        while (!txt.empty() && IsSpace(txt.front())) txt.remove_prefix(1);
        trim_next_ = false;
      }
      if (!txt.empty()) list.push_back(Node{.kind = Node::kText, .text = std::string(txt)});
      if (open == std::string_view::npos) {
        pos_ = text_.size();
        break;
      }
      pos_ = open + 2 + (trim_left ? 2 : 0);
      size_t close = text_.find("}}", pos_);
      if (close == std::string_view::npos) return Error("unclosed action");
      size_t inner_end = close;
      if (close >= pos_ + 2 && text_[close - 1] == '-' && IsSpace(text_[close - 2])) {
        inner_end = close - 2;
        trim_next_ = true;
      }
      std::string_view inner = text_.substr(pos_, inner_end - pos_);
      const size_t action_pos = pos_;
      std::string_view trimmed = Trim(inner);
      if (trimmed.starts_with("/*")) {
        if (!trimmed.ends_with("*/")) return Error("unclosed comment");
        pos_ = close + 2;
        continue;
      }
      // Keywords.
      std::string_view kw = trimmed.substr(0, trimmed.find_first_of(" \t\r\n("));
      pos_ = close + 2;
      if (kw == "end" || kw == "else") {
        *term = std::string(trimmed);
        return list;
      }
      if (kw == "range" || kw == "define" || kw == "block" || kw == "template" || kw == "break" ||
          kw == "continue") {
        pos_ = action_pos;
        return Error("{{" + std::string(kw) + "}} is not supported by quartet's templates");
      }
      if (kw == "if" || kw == "with") {
        Node node{.kind = kw == "if" ? Node::kIf : Node::kWith};
        RETURN_IF_ERROR(ParseControl(trimmed.substr(kw.size()), action_pos, &node));
        list.push_back(std::move(node));
        continue;
      }
      Node node{.kind = Node::kAction};
      ASSIGN_OR_RETURN(node.pipe, ParsePipe(inner, action_pos, true));
      list.push_back(std::move(node));
    }
    return list;
  }

  // After "if"/"with": pipeline, then the list, else branches and end.
  Status ParseControl(std::string_view pipe_text, size_t at, Node* node) {
    const size_t scope = vars_.size();
    if (Trim(pipe_text).empty()) {
      return Error(std::string("missing value for ") + (node->kind == Node::kIf ? "if" : "with"));
    }
    ASSIGN_OR_RETURN(node->pipe, ParsePipe(pipe_text, at, true));
    std::string term;
    ASSIGN_OR_RETURN(node->list, ParseList(&term));
    if (term.empty()) return Error("unexpected EOF");
    if (term != "end") {
      std::string_view rest = Trim(std::string_view(term).substr(4));
      if (rest.starts_with("if") || rest.starts_with("with")) {
        // {{else if p}} is {{else}}{{if p}}...{{end}}{{end}} sharing one end.
        const bool is_if = rest.starts_with("if");
        Node inner{.kind = is_if ? Node::kIf : Node::kWith};
        RETURN_IF_ERROR(ParseControl(rest.substr(is_if ? 2 : 4), pos_, &inner));
        node->else_list.push_back(std::move(inner));
      } else if (!rest.empty()) {
        return Error("unexpected \"" + std::string(rest) + "\" in else");
      } else {
        ASSIGN_OR_RETURN(node->else_list, ParseList(&term));
        if (term != "end")
          return Error(term.empty() ? "unexpected EOF" : "expected end; found {{" + term + "}}");
      }
    }
    vars_.resize(scope);
    return Status::Ok();
  }

  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static std::string_view Trim(std::string_view s) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
    return s;
  }
  static bool IsIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  Result<Pipe> ParsePipe(std::string_view s, size_t at, bool allow_decl) {
    Pipe pipe;
    size_t i = 0;
    auto skip = [&] {
      while (i < s.size() && IsSpace(s[i])) ++i;
    };
    skip();
    // "$x :=" or "$x ="
    if (allow_decl && i < s.size() && s[i] == '$') {
      size_t j = i + 1;
      while (j < s.size() && IsIdent(s[j])) ++j;
      size_t k = j;
      while (k < s.size() && IsSpace(s[k])) ++k;
      if (s.substr(k, 2) == ":=" || (k < s.size() && s[k] == '=' && s.substr(k, 2) != "==")) {
        pipe.decl = std::string(s.substr(i, j - i));
        const bool define = s.substr(k, 2) == ":=";
        pipe.define = define;
        if (!define && !Declared(pipe.decl))
          return Error("undefined variable \"" + pipe.decl + "\"");
        i = k + (define ? 2 : 1);
        if (define) vars_.push_back(pipe.decl);
      }
    }
    // Positions are offsets in the whole text, as Go reports them.
    const size_t base = (s.data() >= text_.data() && s.data() <= text_.data() + text_.size())
                            ? static_cast<size_t>(s.data() - text_.data())
                            : pos_;
    Command cmd;
    cmd.pos = base + i;
    size_t cmd_start = i;
    auto finish = [&]() -> Status {
      if (cmd.args.empty()) return Error("missing value for command");
      cmd.src = std::string(Trim(s.substr(cmd_start, i - cmd_start)));
      pipe.cmds.push_back(std::move(cmd));
      cmd = Command{};
      return Status::Ok();
    };
    while (true) {
      skip();
      if (i >= s.size()) break;
      if (s[i] == '|') {
        RETURN_IF_ERROR(finish());
        ++i;
        skip();
        cmd.pos = base + i;
        cmd_start = i;
        continue;
      }
      Operand op;
      const char c = s[i];
      if (c == '"' || c == '`') {
        size_t j = i + 1;
        while (j < s.size() && s[j] != c) j += (c == '"' && s[j] == '\\') ? 2 : 1;
        if (j >= s.size()) return Error("unterminated quoted string");
        std::optional<std::string> str = promql::GoUnquote(s.substr(i, j + 1 - i));
        if (!str) return Error("bad string " + std::string(s.substr(i, j + 1 - i)));
        op.kind = Operand::kString;
        op.literal = Val::Str(*str);
        i = j + 1;
      } else if (c == '(') {
        int depth = 0;
        size_t j = i;
        for (; j < s.size(); ++j) {
          if (s[j] == '(') ++depth;
          if (s[j] == ')' && --depth == 0) break;
        }
        if (j >= s.size()) return Error("unclosed left paren");
        ASSIGN_OR_RETURN(Pipe inner, ParsePipe(s.substr(i + 1, j - i - 1), at + i + 1, false));
        op.kind = Operand::kParen;
        op.pipe = std::make_shared<Pipe>(std::move(inner));
        i = j + 1;
      } else if (c == '$') {
        size_t j = i + 1;
        while (j < s.size() && IsIdent(s[j])) ++j;
        op.kind = Operand::kVar;
        op.name = std::string(s.substr(i, j - i));
        if (!Declared(op.name)) return Error("undefined variable \"" + op.name + "\"");
        i = j;
      } else if (c == '.') {
        op.kind = (i + 1 < s.size() && IsIdent(s[i + 1])) ? Operand::kField : Operand::kDot;
        if (op.kind == Operand::kDot) ++i;
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
        size_t j = i + 1;
        while (j < s.size() &&
               (IsIdent(s[j]) || s[j] == '.' ||
                ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E')))) {
          ++j;
        }
        std::string_view num = s.substr(i, j - i);
        const bool is_float = num.find_first_of(".eE") != std::string_view::npos &&
                              num.find("0x") == std::string_view::npos;
        op.kind = Operand::kNumber;
        if (!is_float) {
          std::optional<int64_t> n = promql::GoParseInt(num);
          if (!n) return Error("bad number syntax: \"" + std::string(num) + "\"");
          op.literal = Val::Int(*n);
        } else {
          std::optional<double> d = promql::GoParseFloat(num);
          if (!d) return Error("bad number syntax: \"" + std::string(num) + "\"");
          op.literal = Val::Float(*d);
        }
        i = j;
      } else if (IsIdent(c)) {
        size_t j = i;
        while (j < s.size() && IsIdent(s[j])) ++j;
        std::string_view word = s.substr(i, j - i);
        i = j;
        if (word == "true" || word == "false") {
          op.kind = Operand::kBool;
          op.literal = Val::Bool(word == "true");
        } else if (word == "nil") {
          op.kind = Operand::kNil;
        } else {
          bool known = false;
          for (std::string_view f : kFuncs) known |= f == word;
          if (!known) {
            if (word == "query" || word == "first" || word == "value" || word == "label") {
              return Error("function \"" + std::string(word) +
                           "\" is not supported by quartet's templates");
            }
            return Error("function \"" + std::string(word) + "\" not defined");
          }
          op.kind = Operand::kFunc;
          op.name = std::string(word);
        }
      } else {
        return Error("unexpected \"" + std::string(1, c) + "\" in command");
      }
      // Field chain: .A.B
      while (i < s.size() && s[i] == '.' && i + 1 < s.size() && IsIdent(s[i + 1])) {
        size_t j = i + 1;
        while (j < s.size() && IsIdent(s[j])) ++j;
        op.fields.emplace_back(s.substr(i + 1, j - i - 1));
        i = j;
      }
      if (op.kind == Operand::kField && op.fields.empty()) return Error("bad field");
      cmd.args.push_back(std::move(op));
    }
    RETURN_IF_ERROR(finish());
    return pipe;
  }

  bool Declared(const std::string& v) const {
    for (const std::string& d : vars_) {
      if (d == v) return true;
    }
    return false;
  }

  std::string_view name_;
  std::string_view text_;
  size_t pos_ = 0;
  bool trim_next_ = false;
  std::vector<std::string> vars_;
};

}  // namespace

Result<Template> Template::Parse(std::string_view name, std::string_view text) {
  Parser parser(name, text);
  ASSIGN_OR_RETURN(std::vector<Node> list, parser.ParseAll());
  Template t;
  t.name_ = std::string(name);
  t.text_ = std::string(text);
  auto root = std::make_shared<Node>();
  root->kind = Node::kWith;  // a list holder; executed as its list only
  root->list = std::move(list);
  t.root_ = std::move(root);
  return t;
}

Result<std::string> Template::Execute(const TemplateData& data) const {
  return ExecuteTemplate(name_, text_, root_->list, data);
}

std::string_view RuleTemplatePrelude() {
  return "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
         "{{$externalURL := .ExternalURL}}{{$value := .Value}}";
}

Status ValidateRuleTemplate(std::string_view rule_name, std::string_view text) {
  std::string full = std::string(RuleTemplatePrelude()) + std::string(text);
  Result<Template> t = Template::Parse("__alert_" + std::string(rule_name), full);
  return t.ok() ? Status::Ok() : t.status();
}

std::string ExpandRuleTemplate(std::string_view rule_name, std::string_view text,
                               const TemplateData& data) {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  std::string full = std::string(RuleTemplatePrelude()) + std::string(text);
  Result<Template> t = Template::Parse("__alert_" + std::string(rule_name), full);
  // Prometheus's wording: "error parsing|executing template NAME: template: ...".
  const std::string name = "__alert_" + std::string(rule_name);
  if (!t.ok()) {
    return "<error expanding template: error parsing template " + name + ": " +
           std::string(t.status().message()) + ">";
  }
  Result<std::string> out = t->Execute(data);
  if (!out.ok()) {
    return "<error expanding template: error executing template " + name + ": " +
           std::string(out.status().message()) + ">";
  }
  return *out;
}

}  // namespace quartet::alert
