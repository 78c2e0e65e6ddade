// Loki's `| pattern "<ip> - <_> [<ts>] <status>"` matcher: literals and
// captures (`<name>`; `<_>` matches without extracting). Compiled once at parse
// time; Match is const and thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::logql {

class Pattern {
 public:
  // InvalidArgument when there is no named capture, two captures touch, a
  // name is not an identifier, or a name repeats.
  static Result<Pattern> Compile(std::string_view text);

  // Matches the whole line; on success calls fn(name, value) for each named
  // capture in order and returns true. A leading literal must be a prefix; a
  // trailing capture takes the rest of the line.
  bool Match(std::string_view line,
             const std::function<void(std::string_view, std::string_view)>& fn) const;

 private:
  struct Part {
    bool capture = false;
    std::string text;  // literal text, or capture name ("_" is unnamed)
  };
  std::vector<Part> parts_;
};

}  // namespace quartet::logql
