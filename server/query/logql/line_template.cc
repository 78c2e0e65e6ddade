#include "server/query/logql/line_template.h"

#include <utility>

namespace quartet::logql {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsIdent(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<Template> Template::Compile(std::string_view text) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({Part::Kind::kText, std::string(text.substr(pos)), {}});
      break;
    }
    if (open > pos)
      t.parts_.push_back({Part::Kind::kText, std::string(text.substr(pos, open - pos)), {}});
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("template: unclosed \"{{\" at offset " + std::to_string(open));
    }
    std::string_view action = text.substr(open + 2, close - open - 2);
    // Go's "{{- " and " -}}" trim markers are accepted and ignored.
    if (!action.empty() && action.front() == '-') action.remove_prefix(1);
    if (!action.empty() && action.back() == '-') action.remove_suffix(1);
    Part part;
    size_t bar = action.find('|');
    std::string_view head = Trim(action.substr(0, bar));
    if (head == "__line__") {
      part.kind = Part::Kind::kLine;
    } else if (head.size() > 1 && head[0] == '.' && IsIdent(head.substr(1))) {
      part.kind = Part::Kind::kLabel;
      part.text = std::string(head.substr(1));
    } else {
      return Status::InvalidArgument("template: unsupported action \"{{" + std::string(action) +
                                     "}}\" (supported: {{.label}}, {{__line__}}, pipes into "
                                     "upper, lower, ToUpper, ToLower, TrimSpace, trim)");
    }
    while (bar != std::string_view::npos) {
      size_t next = action.find('|', bar + 1);
      std::string_view fn = Trim(action.substr(
          bar + 1, next == std::string_view::npos ? std::string_view::npos : next - bar - 1));
      if (fn == "upper" || fn == "ToUpper") {
        part.funcs.push_back(Func::kUpper);
      } else if (fn == "lower" || fn == "ToLower") {
        part.funcs.push_back(Func::kLower);
      } else if (fn == "trim" || fn == "TrimSpace") {
        part.funcs.push_back(Func::kTrim);
      } else {
        return Status::InvalidArgument("template: unsupported function \"" + std::string(fn) +
                                       "\"");
      }
      bar = next;
    }
    t.parts_.push_back(std::move(part));
    pos = close + 2;
  }
  return t;
}

void Template::Render(const std::function<std::string_view(std::string_view)>& lookup,
                      std::string_view line, std::string* out) const {
  for (const Part& part : parts_) {
    std::string_view value = part.kind == Part::Kind::kText   ? std::string_view(part.text)
                             : part.kind == Part::Kind::kLine ? line
                                                              : lookup(part.text);
    if (part.funcs.empty()) {
      out->append(value);
      continue;
    }
    std::string v(value);
    for (Func f : part.funcs) {
      if (f == Func::kTrim) {
        v = std::string(Trim(v));
      } else {
        for (char& c : v) {
          if (f == Func::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
          if (f == Func::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        }
      }
    }
    out->append(v);
  }
}

}  // namespace quartet::logql
