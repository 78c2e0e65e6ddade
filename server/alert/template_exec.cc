// Executing a parsed template (template.h): Go text/template's evaluation of
// pipelines, variables, fields and Prometheus's template functions.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "server/alert/template_internal.h"
#include "server/query/promql/format.h"

namespace quartet::alert::template_internal {
namespace {

using Node = Template::Node;

// Go's fmt verbs for printf: %v %s %d %f %e %g %q %x %t %%, with flags,
// width and precision. Mismatched types print Go's %!verb(type=value).
std::string GoSprintf(std::string_view format, const std::vector<Val>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < format.size() &&
           std::string_view("+- #0").find(format[j]) != std::string_view::npos) {
      spec += format[j++];
    }
    bool has_prec = false;
    while (j < format.size() &&
           (std::isdigit(static_cast<unsigned char>(format[j])) || format[j] == '.')) {
      has_prec |= format[j] == '.';
      spec += format[j++];
    }
    if (j >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    const char verb = format[j];
    i = j;
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const Val& a = args[next++];
    char buf[512];
    auto bad = [&] { out += std::string("%!") + verb + "(" + TypeName(a) + "=" + Print(a) + ")"; };
    switch (verb) {
      case 'v':
      case 's':
        if (verb == 's' && a.kind != Val::kString) {
          bad();
          break;
        }
        std::snprintf(buf, sizeof buf, (spec + "s").c_str(), Print(a).c_str());
        out += buf;
        break;
      case 'd':
        if (a.kind != Val::kInt) {
          bad();
          break;
        }
        std::snprintf(buf, sizeof buf, (spec + "lld").c_str(), static_cast<long long>(a.i));
        out += buf;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (a.kind != Val::kFloat) {
          bad();
          break;
        }
        if (std::isnan(a.f) || std::isinf(a.f)) {
          out += std::isnan(a.f) ? "NaN" : (a.f > 0 ? "+Inf" : "-Inf");
        } else if ((verb == 'g' || verb == 'G') && !has_prec) {
          out += GoFloatV(a.f);
        } else {
          std::snprintf(buf, sizeof buf, (spec + verb).c_str(), a.f);
          out += buf;
        }
        break;
      case 'q':
        if (a.kind != Val::kString) {
          bad();
          break;
        }
        out += promql::GoQuote(a.s);
        break;
      case 't':
        if (a.kind != Val::kBool) {
          bad();
          break;
        }
        out += a.b ? "true" : "false";
        break;
      case 'x':
        if (a.kind == Val::kInt) {
          std::snprintf(buf, sizeof buf, (spec + "llx").c_str(), static_cast<long long>(a.i));
          out += buf;
        } else if (a.kind == Val::kString) {
          static const char* kHex = "0123456789abcdef";
          for (unsigned char c : a.s) {
            out += kHex[c >> 4];
            out += kHex[c & 15];
          }
        } else {
          bad();
        }
        break;
      default:
        out += std::string("%!") + verb + "(" + TypeName(a) + "=" + Print(a) + ")";
    }
  }
  if (next < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = next; k < args.size(); ++k) {
      if (k > next) out += ", ";
      out += std::string(TypeName(args[k])) + "=" + Print(args[k]);
    }
    out += ")";
  }
  return out;
}

// Go's time.Time.String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC".
std::string GoTimeString(double unix_seconds) {
  const double whole = std::floor(unix_seconds);
  time_t t = static_cast<time_t>(whole);
  int64_t nanos = std::min<int64_t>(std::llround((unix_seconds - whole) * 1e9), 999999999);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (nanos > 0) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + " +0000 UTC";
}

// Go's comparison funcs: same basic kind only (int with float is an error).
Result<int> Compare(const Val& a, const Val& b, bool ordered) {
  const Status incompatible = Status::InvalidArgument("incompatible types for comparison");
  if (a.kind != b.kind) return incompatible;
  switch (a.kind) {
    case Val::kInt:
      return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    case Val::kFloat:
      return a.f < b.f ? -1 : (a.f > b.f ? 1 : (a.f == b.f ? 0 : 2));
    case Val::kString:
      return a.s < b.s ? -1 : (a.s > b.s ? 1 : 0);
    case Val::kBool:
      if (ordered) return Status::InvalidArgument("invalid type for comparison");
      return a.b == b.b ? 0 : 1;
    default:
      return Status::InvalidArgument("invalid type for comparison");
  }
}

Status WantArgs(std::string_view fn, const std::vector<Val>& args, size_t n) {
  if (args.size() == n) return Status::Ok();
  return Status::InvalidArgument("wrong number of args for " + std::string(fn) + ": want " +
                                 std::to_string(n) + " got " + std::to_string(args.size()));
}

// Go's ${1} / $1 / $name expansion for reReplaceAll, as RE2's \1.
std::string GoReplacement(std::string_view repl) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] == '\\') {
      out += "\\\\";
    } else if (repl[i] == '$' && i + 1 < repl.size()) {
      size_t j = i + 1;
      const bool braced = repl[j] == '{';
      if (braced) ++j;
      size_t k = j;
      while (k < repl.size() && std::isdigit(static_cast<unsigned char>(repl[k]))) ++k;
      if (k > j && (!braced || (k < repl.size() && repl[k] == '}'))) {
        out += "\\" + std::string(repl.substr(j, k - j));
        i = braced ? k : k - 1;
      } else if (repl[j] == '$') {
        out += '$';
        i = j;
      } else {
        out += '$';
      }
    } else {
      out += repl[i];
    }
  }
  return out;
}

Result<Val> Call(const std::string& fn, const std::vector<Val>& args) {
  auto one_float = [&]() -> Result<double> {
    RETURN_IF_ERROR(WantArgs(fn, args, 1));
    return ToFloat(args[0]);
  };
  auto one_string = [&]() -> Result<std::string> {
    RETURN_IF_ERROR(WantArgs(fn, args, 1));
    if (args[0].kind != Val::kString) {
      return Status::InvalidArgument(std::string("wrong type for value; expected string; got ") +
                                     TypeName(args[0]));
    }
    return args[0].s;
  };
  if (fn == "humanize" || fn == "humanize1024" || fn == "humanizeDuration" ||
      fn == "humanizePercentage" || fn == "humanizeTimestamp") {
    ASSIGN_OR_RETURN(double v, one_float());
    if (fn == "humanize") return Val::Str(Humanize(v));
    if (fn == "humanize1024") return Val::Str(Humanize1024(v));
    if (fn == "humanizeDuration") return Val::Str(HumanizeDuration(v));
    if (fn == "humanizePercentage") return Val::Str(HumanizePercentage(v));
    if (std::isnan(v) || std::isinf(v)) return Val::Str(G4(v));
    return Val::Str(GoTimeString(v));
  }
  if (fn == "printf") {
    if (args.empty() || args[0].kind != Val::kString) {
      return Status::InvalidArgument("printf needs a format string");
    }
    return Val::Str(GoSprintf(args[0].s, std::vector<Val>(args.begin() + 1, args.end())));
  }
  if (fn == "print") {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0 && args[i].kind != Val::kString && args[i - 1].kind != Val::kString) out += ' ';
      out += Print(args[i]);
    }
    return Val::Str(out);
  }
  if (fn == "toUpper" || fn == "toLower" || fn == "title" || fn == "stripPort") {
    ASSIGN_OR_RETURN(std::string s, one_string());
    if (fn == "toUpper") {
      for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (fn == "toLower") {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (fn == "title") {
      bool start = true;
      for (char& c : s) {
        if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        start = !std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '\'';
      }
    } else {
      // net.SplitHostPort; the input unchanged when it has no port.
      const size_t colon = s.rfind(':');
      if (colon != std::string::npos) {
        std::string host = s.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
          host = host.substr(1, host.size() - 2);
        }
        if (host.find(':') == std::string::npos || s.front() == '[') s = host;
      }
    }
    return Val::Str(s);
  }
  if (fn == "match" || fn == "reReplaceAll") {
    RETURN_IF_ERROR(WantArgs(fn, args, fn == "match" ? 2 : 3));
    for (const Val& a : args) {
      if (a.kind != Val::kString)
        return Status::InvalidArgument("wrong type for value; expected string");
    }
    RE2 re(args[0].s, RE2::Quiet);
    if (!re.ok()) return Status::InvalidArgument("error parsing regexp: " + re.error());
    if (fn == "match") return Val::Bool(RE2::PartialMatch(args[1].s, re));
    std::string text = args[2].s;
    RE2::GlobalReplace(&text, re, GoReplacement(args[1].s));
    return Val::Str(text);
  }
  if (fn == "len") {
    RETURN_IF_ERROR(WantArgs(fn, args, 1));
    if (args[0].kind == Val::kString) return Val::Int(static_cast<int64_t>(args[0].s.size()));
    if (args[0].kind == Val::kMap) return Val::Int(static_cast<int64_t>(args[0].m->size()));
    return Status::InvalidArgument(std::string("len of type ") + TypeName(args[0]));
  }
  if (fn == "index") {
    RETURN_IF_ERROR(WantArgs(fn, args, 2));
    if (args[0].kind != Val::kMap || args[1].kind != Val::kString) {
      return Status::InvalidArgument(std::string("can't index item of type ") + TypeName(args[0]));
    }
    auto it = args[0].m->find(args[1].s);
    return Val::Str(it == args[0].m->end() ? "" : it->second);
  }
  if (fn == "not") {
    RETURN_IF_ERROR(WantArgs(fn, args, 1));
    return Val::Bool(!Truth(args[0]));
  }
  if (fn == "and" || fn == "or") {
    if (args.empty()) return WantArgs(fn, args, 1);
    for (const Val& a : args) {
      if (Truth(a) == (fn == "or")) return a;
    }
    return args.back();
  }
  if (fn == "eq") {
    if (args.size() < 2) return Status::InvalidArgument("missing argument for comparison");
    for (size_t i = 1; i < args.size(); ++i) {
      ASSIGN_OR_RETURN(int c, Compare(args[0], args[i], false));
      if (c == 0) return Val::Bool(true);
    }
    return Val::Bool(false);
  }
  // ne lt le gt ge
  RETURN_IF_ERROR(WantArgs(fn, args, 2));
  ASSIGN_OR_RETURN(int c, Compare(args[0], args[1], fn != "ne"));
  if (fn == "ne") return Val::Bool(c != 0);
  if (c == 2) return Val::Bool(false);  // NaN compares false
  if (fn == "lt") return Val::Bool(c < 0);
  if (fn == "le") return Val::Bool(c <= 0);
  if (fn == "gt") return Val::Bool(c > 0);
  return Val::Bool(c >= 0);
}

class Executor {
 public:
  Executor(std::string_view name, std::string_view text, const TemplateData& data)
      : name_(name), text_(text) {
    vars_.push_back({"$", Val{.kind = Val::kData, .data = &data}});
  }

  Status Run(const std::vector<Node>& list, const Val& dot, std::string* out) {
    const size_t scope = vars_.size();
    for (const Node& node : list) {
      switch (node.kind) {
        case Node::kText:
          *out += node.text;
          break;
        case Node::kAction: {
          ASSIGN_OR_RETURN(Val v, EvalPipe(node.pipe, dot));
          if (node.pipe.decl.empty()) *out += Print(v);
          break;
        }
        case Node::kIf:
        case Node::kWith: {
          const size_t inner = vars_.size();
          ASSIGN_OR_RETURN(Val v, EvalPipe(node.pipe, dot));
          if (Truth(v)) {
            RETURN_IF_ERROR(Run(node.list, node.kind == Node::kWith ? v : dot, out));
          } else {
            RETURN_IF_ERROR(Run(node.else_list, dot, out));
          }
          vars_.resize(inner);
          break;
        }
      }
    }
    vars_.resize(scope);
    return Status::Ok();
  }

 private:
  Status ErrorAt(const Command& cmd, std::string_view msg) const {
    const std::string_view before = text_.substr(0, std::min(cmd.pos, text_.size()));
    const size_t nl = before.rfind('\n');
    int line = 1;
    for (char c : before) line += c == '\n';
    const size_t col = nl == std::string_view::npos ? cmd.pos : cmd.pos - nl - 1;
    return Status::InvalidArgument(
        "template: " + std::string(name_) + ":" + std::to_string(line) + ":" + std::to_string(col) +
        ": executing \"" + std::string(name_) + "\" at <" + cmd.src + ">: " + std::string(msg));
  }

  Result<Val> EvalPipe(const template_internal::Pipe& pipe, const Val& dot) {
    Val v;
    bool have = false;
    for (const Command& cmd : pipe.cmds) {
      ASSIGN_OR_RETURN(v, EvalCommand(cmd, dot, have ? &v : nullptr));
      have = true;
    }
    if (pipe.define) {
      vars_.push_back({pipe.decl, v});  // shadows an outer one
    } else if (!pipe.decl.empty()) {
      for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
        if (it->first == pipe.decl) {
          it->second = v;
          break;
        }
      }
    }
    return v;
  }

  Result<Val> Field(const Command& cmd, Val v, const std::vector<std::string>& fields) {
    for (const std::string& f : fields) {
      if (v.kind == Val::kData) {
        if (f == "Labels") {
          v = Val::Map(&v.data->labels);
        } else if (f == "ExternalLabels") {
          v = Val::Map(&v.data->external_labels);
        } else if (f == "ExternalURL") {
          v = Val::Str(v.data->external_url);
        } else if (f == "Value") {
          v = Val::Float(v.data->value);
        } else {
          return ErrorAt(cmd, "can't evaluate field " + f + " in type *template.tmplData");
        }
      } else if (v.kind == Val::kMap) {
        auto it = v.m->find(f);
        v = Val::Str(it == v.m->end() ? "" : it->second);
      } else {
        return ErrorAt(cmd, "can't evaluate field " + f + " in type " + TypeName(v));
      }
    }
    return v;
  }

  Result<Val> EvalOperand(const Command& cmd, const Operand& op, const Val& dot) {
    Val v;
    switch (op.kind) {
      case Operand::kDot:
      case Operand::kField:
        v = dot;
        break;
      case Operand::kVar: {
        bool found = false;
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == op.name) {
            v = it->second;
            found = true;
            break;
          }
        }
        if (!found) return ErrorAt(cmd, "undefined variable: " + op.name);
        break;
      }
      case Operand::kParen: {
        ASSIGN_OR_RETURN(v, EvalPipe(*op.pipe, dot));
        break;
      }
      case Operand::kFunc:
        return ErrorAt(cmd, "can't use function " + op.name + " as an argument");
      default:
        v = op.literal;
    }
    return Field(cmd, std::move(v), op.fields);
  }

  Result<Val> EvalCommand(const Command& cmd, const Val& dot, const Val* piped) {
    const Operand& first = cmd.args[0];
    if (first.kind != Operand::kFunc) {
      if (cmd.args.size() > 1 || piped != nullptr) {
        return ErrorAt(cmd, "can't give argument to non-function " + cmd.args[0].name);
      }
      return EvalOperand(cmd, first, dot);
    }
    std::vector<Val> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) {
      ASSIGN_OR_RETURN(Val a, EvalOperand(cmd, cmd.args[i], dot));
      args.push_back(std::move(a));
    }
    if (piped != nullptr) args.push_back(*piped);
    Result<Val> r = Call(first.name, args);
    if (!r.ok()) {
      if (r.status().message().starts_with("wrong number of args")) {
        return ErrorAt(cmd, r.status().message());
      }
      return ErrorAt(cmd, "error calling " + first.name + ": " + std::string(r.status().message()));
    }
    return r;
  }

  std::string_view name_;
  std::string_view text_;
  std::vector<std::pair<std::string, Val>> vars_;
};

}  // namespace

Result<std::string> ExecuteTemplate(std::string_view name, std::string_view text,
                                    const std::vector<Node>& list, const TemplateData& data) {
  Executor exec(name, text, data);
  std::string out;
  RETURN_IF_ERROR(exec.Run(list, Val{.kind = Val::kData, .data = &data}, &out));
  return out;
}

}  // namespace quartet::alert::template_internal
