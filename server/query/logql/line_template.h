// The Go text/template subset used by `| line_format` and `| label_format`:
// literal text, `{{.label}}`, `{{ __line__ }}`, and pipes into upper, lower,
// ToUpper, ToLower, TrimSpace, trim. Compiled once at parse time; Render is
// const and thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::logql {

class Template {
 public:
  // InvalidArgument naming the unsupported action or the unclosed "{{".
  static Result<Template> Compile(std::string_view text);

  // Appends the rendering to *out. `lookup` returns a label's value ("" when
  // missing); `line` is the current log line (for __line__).
  void Render(const std::function<std::string_view(std::string_view)>& lookup,
              std::string_view line, std::string* out) const;

 private:
  enum class Func { kUpper, kLower, kTrim };
  struct Part {
    enum class Kind { kText, kLabel, kLine } kind = Kind::kText;
    std::string text;  // literal text or label name
    std::vector<Func> funcs;
  };
  std::vector<Part> parts_;
};

}  // namespace quartet::logql
