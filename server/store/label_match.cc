#include "server/store/label_match.h"

#include <re2/re2.h>

#include <algorithm>
#include <string>

namespace quartet::store {

CompiledMatchers::~CompiledMatchers() = default;
CompiledMatchers::CompiledMatchers(CompiledMatchers&&) noexcept = default;
CompiledMatchers& CompiledMatchers::operator=(CompiledMatchers&&) noexcept = default;

Result<CompiledMatchers> CompiledMatchers::Compile(const std::vector<LabelMatch>& matchers) {
  CompiledMatchers out;
  for (const LabelMatch& m : matchers) {
    Compiled c{m, nullptr};
    if (m.op == LabelMatch::Op::kRe || m.op == LabelMatch::Op::kNre) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_dot_nl(true);
      c.regex = std::make_shared<re2::RE2>(m.value, options);  // FullMatch anchors it
      if (!c.regex->ok()) {
        return Status::InvalidArgument("invalid regex for label " + m.name + ": " +
                                       c.regex->error());
      }
    }
    out.matchers_.push_back(std::move(c));
  }
  return out;
}

bool CompiledMatchers::Matches(const Labels& labels) const {
  for (const Compiled& c : matchers_) {
    const std::string_view value = LabelValue(labels, c.match.name);
    bool ok = false;
    switch (c.match.op) {
      case LabelMatch::Op::kEq:
        ok = value == c.match.value;
        break;
      case LabelMatch::Op::kNeq:
        ok = value != c.match.value;
        break;
      case LabelMatch::Op::kRe:
        ok = re2::RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *c.regex);
        break;
      case LabelMatch::Op::kNre:
        ok = !re2::RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *c.regex);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

std::string_view LabelValue(const Labels& labels, std::string_view name) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& label, std::string_view n) { return label.first < n; });
  if (it == labels.end() || it->first != name) return {};
  return it->second;
}

}  // namespace quartet::store
