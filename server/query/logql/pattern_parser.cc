#include "server/query/logql/pattern_parser.h"

#include <set>
#include <utility>

namespace quartet::logql {
namespace {

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

Result<Pattern> Pattern::Compile(std::string_view text) {
  Pattern p;
  std::set<std::string, std::less<>> names;
  size_t i = 0;
  std::string literal;
  while (i < text.size()) {
    if (text[i] == '<') {
      size_t end = text.find('>', i + 1);
      std::string_view name =
          end == std::string_view::npos ? std::string_view() : text.substr(i + 1, end - i - 1);
      if (end != std::string_view::npos && IsIdent(name)) {
        if (!literal.empty()) p.parts_.push_back({false, std::move(literal)});
        literal.clear();
        if (!p.parts_.empty() && p.parts_.back().capture) {
          return Status::InvalidArgument("pattern " + std::string(text) + ": captures <" +
                                         p.parts_.back().text + "> and <" + std::string(name) +
                                         "> must be separated by literal text");
        }
        if (name != "_" && !names.insert(std::string(name)).second) {
          return Status::InvalidArgument("pattern: duplicate capture <" + std::string(name) + ">");
        }
        p.parts_.push_back({true, std::string(name)});
        i = end + 1;
        continue;
      }
    }
    literal += text[i++];
  }
  if (!literal.empty()) p.parts_.push_back({false, std::move(literal)});
  if (names.empty()) {
    return Status::InvalidArgument("pattern must contain at least one named capture like <name>");
  }
  return p;
}

bool Pattern::Match(std::string_view line,
                    const std::function<void(std::string_view, std::string_view)>& fn) const {
  // Two passes: find every capture's bounds first, so nothing is reported for a
  // line that does not match as a whole.
  std::pair<size_t, size_t> bounds[64];
  size_t nbounds = 0;
  size_t pos = 0;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Part& part = parts_[i];
    if (!part.capture) {
      if (line.substr(pos, part.text.size()) != part.text) return false;
      pos += part.text.size();
      continue;
    }
    size_t end = line.size();
    if (i + 1 < parts_.size()) {
      end = line.find(parts_[i + 1].text, pos);
      if (end == std::string_view::npos) return false;
    }
    if (nbounds < std::size(bounds)) bounds[nbounds++] = {pos, end};
    pos = end;
  }
  size_t b = 0;
  for (const Part& part : parts_) {
    if (!part.capture) continue;
    if (b >= nbounds) break;
    auto [start, end] = bounds[b++];
    if (part.text != "_") fn(part.text, line.substr(start, end - start));
  }
  return true;
}

}  // namespace quartet::logql
